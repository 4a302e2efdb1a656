/** The jobs API's control routes (functions/api-routes.ts): start, stop and resume jobs. */
import type { ControlApiContext } from '../engine/api/context.js';
import { resumeJobInstance, startJobInstance, stopJobInstance } from '../engine/api/jobs.js';
import { parseJobId, parseResumeJob, parseStartJob } from '../engine/api/requests.js';
import { apiHandler, type ApiDependencies } from './api.js';
import { controlApiDependencies } from './environment.js';
import { withLambdaContext } from './logger.js';

export function createApiControlHandler(deps: ApiDependencies<ControlApiContext>) {
  return apiHandler(
    'apiControl',
    {
      'POST /jobs': (r, ctx) => startJobInstance(parseStartJob(r.body), ctx),
      'POST /jobs/{jobId}/stop': (r, ctx) => stopJobInstance(parseJobId(r.pathParameters.jobId), ctx),
      'POST /jobs/{jobId}/resume': (r, ctx) => resumeJobInstance(parseJobId(r.pathParameters.jobId), parseResumeJob(r.body), ctx),
    },
    deps,
  );
}

export const handler = withLambdaContext(createApiControlHandler(controlApiDependencies()));

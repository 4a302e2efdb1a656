/** The jobs API's read routes (functions/api-routes.ts): list jobs, a job's status, its batches, its dead letters, its results. */
import type { ReadApiContext } from '../engine/api/context.js';
import { getJobStatus, listDeadLetters, listJobBatches, listJobInstances } from '../engine/api/jobs.js';
import { parseJobId, parseListBatches, parseListDeadLetters, parseListJobs, parseListResults } from '../engine/api/requests.js';
import { listJobResults } from '../engine/api/results.js';
import { apiHandler, type ApiDependencies } from './api.js';
import { readApiDependencies } from './environment.js';
import { withLambdaContext } from './logger.js';

export function createApiReadHandler(deps: ApiDependencies<ReadApiContext>) {
  return apiHandler(
    'apiRead',
    {
      'GET /jobs': (r, ctx) => listJobInstances(parseListJobs(r.query), ctx),
      'GET /jobs/{jobId}': (r, ctx) => getJobStatus(parseJobId(r.pathParameters.jobId), ctx),
      'GET /jobs/{jobId}/batches': (r, ctx) => listJobBatches(parseJobId(r.pathParameters.jobId), parseListBatches(r.query), ctx),
      'GET /jobs/{jobId}/dead-letters': (r, ctx) => listDeadLetters(parseJobId(r.pathParameters.jobId), parseListDeadLetters(r.query), ctx),
      'GET /jobs/{jobId}/results': (r, ctx) => listJobResults(parseJobId(r.pathParameters.jobId), parseListResults(r.query), ctx),
    },
    deps,
  );
}

export const handler = withLambdaContext(createApiReadHandler(readApiDependencies()));

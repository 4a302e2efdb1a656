/** The body of `sluice replay` (cli/commands/replay.ts): the dry run or the replay, with its progress and outcome. */
import type { JsonValue } from '../../engine/json.js';
import { previewReplay, replayJob } from '../../engine/replay/replay-job.js';
import type { ReplayContext, ReplayRequest } from '../../engine/replay/replay-types.js';
import { catalog } from '../../jobs/catalog.js';
import { describeSink, formatReplayOutcome, formatReplayPreview, formatReplayProgress } from '../format/replay.js';
import { jobOfInstance, type OperatorEnvironment } from '../operator-environment.js';
import type { OperatorTargetValues } from '../operator-target-options.js';
import { replayErrorMessage as message } from './replay-messages.js';

export interface ReplayOptions extends OperatorTargetValues {
  readonly job: string;
  readonly fromBatch: number;
  readonly toBatch?: number;
  readonly into?: string;
  readonly regroup?: boolean;
  readonly force?: boolean;
  readonly dryRun?: boolean;
  readonly jobName?: string;
  readonly param: Readonly<Record<string, JsonValue>>;
  readonly verbose?: boolean;
}

export async function replay(env: OperatorEnvironment, request: ReplayRequest, options: ReplayOptions): Promise<number> {
  // The job definition the source job runs (the registry's record, else its id), with --job-name and --param.
  const { job, jobName, parameters } = await jobOfInstance({
    jobId: request.jobId,
    jobName: options.jobName,
    parameters: options.param,
    registry: env.registry,
    catalog,
  });
  let recordsSoFar = 0;
  const tty = process.stderr.isTTY === true;
  const ctx: ReplayContext = {
    ports: env.ports,
    job,
    registry: env.registry,
    onProgress: (progress) => {
      recordsSoFar += progress.records;
      const line = formatReplayProgress(progress, recordsSoFar);
      process.stderr.write(tty ? `\r${line}${progress.index === progress.total ? '\n' : ''}` : `${line}\n`);
    },
  };
  const scope = await previewReplay(request, ctx);
  const preview = formatReplayPreview(scope, job);
  console.log(`${options.dryRun ? 'dry run (nothing is written): ' : ''}job ${jobName} on ${env.description}`);
  if (options.dryRun) {
    for (const line of preview) console.log(line);
    return 0;
  }
  const header = preview.indexOf('');
  for (const line of header === -1 ? preview : preview.slice(0, header)) console.log(line);
  console.log('');
  await env.prepareSink(job.sink);
  try {
    const outcome = await replayJob(request, ctx);
    for (const line of formatReplayOutcome(outcome)) console.log(line);
    for (const t of outcome.sinksTakenOver ?? []) console.log(`  took ${t.description} over from job ${t.fromJobId}`);
    if (outcome.scope.mode === 'into') {
      console.log(`  its rows went to ${describeSink(job.sink)}`);
      console.log(`  to go on, start job ${request.intoJobId} as ${jobName} with parameters ${JSON.stringify(parameters)}`);
    }
    return 0;
  } catch (error) {
    if (tty) process.stderr.write('\n');
    console.error(`replay failed: ${message(error)}`);
    console.error('run the same command again (once the cause is fixed, if it needs fixing): the replay continues where it stopped');
    return 4;
  }
}

/** `sluice jobs start <job-name>`: starts an instance of a job of the deployment's catalog (POST /jobs). */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { describePosition, describeTrigger } from '../../format/jobs.js';
import { parameter, positiveInteger } from '../../flag-values.js';
import { newCommand } from '../../program.js';
import type { JsonValue } from '../../../engine/json.js';
import type { TriggerSettings } from '../../../engine/ports/job-registry.js';
import type { StartingPositionBody } from '../../api-client.js';
import { clientOf, endpointFlag, withApiOptions, type ApiOptions } from './api-options.js';
import { jobId, startingPosition, trigger } from './flag-values.js';
import { follow } from './follow.js';
import { EXIT, runOnApi } from './run-on-api.js';

interface StartOptions extends ApiOptions {
  readonly jobId?: string;
  readonly param: Readonly<Record<string, JsonValue>>;
  readonly trigger?: TriggerSettings;
  readonly maxRecords?: number;
  readonly from?: StartingPositionBody;
  readonly token?: string;
  readonly force?: boolean;
  readonly wait?: boolean;
  readonly timeout?: number;
}

export function startCommand(): Command {
  const command = newCommand('start')
    .usage('<job-name> [options]')
    .summary("start an instance of a job of the deployment's catalog")
    .description("Starts an instance of a job of the deployment's catalog (POST /jobs).")
    .argument('<job-name>')
    .option('--job-id <id>', "the instance's id (default: the job name)", jobId)
    .option('--param <name=value>', 'a catalog parameter of the job (repeatable); JSON values are parsed', parameter, {})
    .option('--trigger <t>', "available-now, or interval:<ms>[:<max idle ms>] (default: the job's own)", trigger)
    .option('--max-records <n>', "the rate limit: records per partition per batch (default: the job's own)", positiveInteger)
    .option(
      '--from <position>',
      "earliest, latest, an ISO 8601 time or epoch ms, or checkpoint:<job-id>[:<batch>] (a new instance from another's committed batch: its state and offsets after it)",
      startingPosition,
    )
    .option('--token <t>', 'the idempotency token (default: a new one per run; a retried request with the same token starts nothing new)')
    .option(
      '--force',
      'take the sinks over from the stopped or failed instance that owns them (without it, a sink another instance owns is refused)',
    )
    .option('--wait', 'follow the job until it stops (an available-now job stops when caught up)')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (default: never)', positiveInteger);
  return withApiOptions(command).action(async (jobName: string, options: StartOptions) => {
    const client = clientOf(command, options);
    await runOnApi(client, async () => {
      const answer = await client.startJob({
        jobName,
        ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
        ...(Object.keys(options.param).length === 0 ? {} : { parameters: options.param }),
        ...(options.trigger === undefined ? {} : { trigger: options.trigger }),
        ...(options.maxRecords === undefined ? {} : { maxRecordsPerPartition: options.maxRecords }),
        ...(options.from === undefined ? {} : { startingPosition: options.from }),
        idempotencyToken: options.token ?? randomUUID(),
        ...(options.force === true ? { force: true } : {}),
      });
      const job = answer.job;
      if (options.json) console.log(JSON.stringify(answer, null, 2));
      else {
        console.log(
          answer.alreadyStarted
            ? `job ${job.jobId} was started by an earlier request with this token: driver execution ${answer.execution}, ${job.state}`
            : `started job ${job.jobId} (${job.jobName}): driver execution ${answer.execution}`,
        );
        console.log(`  trigger ${describeTrigger(job.trigger)}; from ${describePosition(job.startingPosition)}`);
        for (const t of answer.sinksTakenOver ?? []) console.log(`  took ${t.description} over from job ${t.fromJobId}`);
        if (!options.wait) console.log(`  follow it: sluice jobs status ${job.jobId}${endpointFlag(options)}`);
      }
      if (!options.wait) return EXIT.ok;
      return follow(client, job.jobId, options.timeout === undefined ? null : options.timeout * 1000);
    });
  });
}

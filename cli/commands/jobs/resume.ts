/** `sluice jobs resume <job-id>`: runs a STOPPED or FAILED job again from its checkpoint (POST /jobs/{jobId}/resume). */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { positiveInteger } from '../../flag-values.js';
import { newCommand } from '../../program.js';
import type { TriggerSettings } from '../../../engine/ports/job-registry.js';
import { clientOf, withApiOptions, type ApiOptions } from './api-options.js';
import { jobId, trigger } from './flag-values.js';
import { follow } from './follow.js';
import { EXIT, runOnApi } from './run-on-api.js';

interface ResumeOptions extends ApiOptions {
  readonly trigger?: TriggerSettings;
  readonly maxRecords?: number;
  readonly token?: string;
  readonly force?: boolean;
  readonly wait?: boolean;
  readonly timeout?: number;
}

export function resumeCommand(): Command {
  const command = newCommand('resume')
    .usage('<job-id> [options]')
    .summary('run a STOPPED or FAILED job again from its checkpoint')
    .description('Runs a STOPPED or FAILED job again from its checkpoint (POST /jobs/{jobId}/resume).')
    .argument('<job-id>', '', jobId)
    .option('--trigger <t>', 'available-now, or interval:<ms>[:<max idle ms>] (default: as before)', trigger)
    .option('--max-records <n>', 'the rate limit (default: as before)', positiveInteger)
    .option('--token <t>', 'the idempotency token (default: a new one per run)')
    .option('--force', 'take the sinks back from the stopped or failed instance that owns them now')
    .option('--wait', 'follow the job until it stops')
    .option('--timeout <seconds>', 'with --wait (default: never)', positiveInteger);
  return withApiOptions(command).action(async (jobId: string, options: ResumeOptions) => {
    const client = clientOf(command, options);
    await runOnApi(client, async () => {
      const answer = await client.resumeJob(jobId, {
        ...(options.trigger === undefined ? {} : { trigger: options.trigger }),
        ...(options.maxRecords === undefined ? {} : { maxRecordsPerPartition: options.maxRecords }),
        idempotencyToken: options.token ?? randomUUID(),
        ...(options.force === true ? { force: true } : {}),
      });
      if (options.json) console.log(JSON.stringify(answer, null, 2));
      else {
        console.log(`${answer.alreadyStarted ? 'already resumed' : 'resumed'} job ${jobId}: driver execution ${answer.execution}`);
        for (const t of answer.sinksTakenOver ?? []) console.log(`  took ${t.description} over from job ${t.fromJobId}`);
      }
      if (!options.wait) return EXIT.ok;
      return follow(client, jobId, options.timeout === undefined ? null : options.timeout * 1000);
    });
  });
}

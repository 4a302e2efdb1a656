/** `sluice jobs stop <job-id>`: stops a job gracefully (POST /jobs/{jobId}/stop). */
import type { Command } from 'commander';
import { positiveInteger } from '../../flag-values.js';
import { newCommand } from '../../program.js';
import { clientOf, withApiOptions, type ApiOptions } from './api-options.js';
import { follow } from './follow.js';
import { jobId } from './flag-values.js';
import { EXIT, runOnApi } from './run-on-api.js';

interface StopOptions extends ApiOptions {
  readonly wait?: boolean;
  readonly timeout: number;
}

export function stopCommand(): Command {
  const command = newCommand('stop')
    .usage('<job-id> [--wait] [--timeout <seconds>] [options]')
    .summary('stop a job gracefully')
    .description(
      'Stops a job gracefully (POST /jobs/{jobId}/stop): its driver finishes the batch in flight, commits it, and ends. The job is STOPPING until then, STOPPED after.',
    )
    .argument('<job-id>', '', jobId)
    .option('--wait', 'wait until the job is STOPPED, showing its progress')
    .option('--timeout <seconds>', 'with --wait (default 600)', positiveInteger, 600);
  return withApiOptions(command).action(async (jobId: string, options: StopOptions) => {
    const client = clientOf(command, options);
    await runOnApi(client, async () => {
      const answer = await client.stopJob(jobId);
      if (options.json) console.log(JSON.stringify(answer, null, 2));
      else {
        console.log(
          answer.job.state === 'STOPPING'
            ? `stopping job ${jobId}: its driver finishes the batch in flight, commits, and ends`
            : `job ${jobId} is ${answer.job.state}${answer.job.reason ? `: ${answer.job.reason}` : ''}`,
        );
      }
      if (!options.wait || answer.job.state !== 'STOPPING') return EXIT.ok;
      return follow(client, jobId, options.timeout * 1000);
    });
  });
}

/** `sluice jobs status <job-id>`: a job's status (GET /jobs/{jobId}). */
import type { Command } from 'commander';
import { formatJobStatus } from '../../format/jobs.js';
import { newCommand } from '../../program.js';
import { clientOf, printAnswer, withApiOptions, type ApiOptions } from './api-options.js';
import { jobId } from './flag-values.js';
import { EXIT, runOnApi } from './run-on-api.js';

export function statusCommand(): Command {
  const command = newCommand('status')
    .usage('<job-id> [options]')
    .summary("a job's status")
    .description(
      "A job's status (GET /jobs/{jobId}): its state, driver execution, last committed batch, watermark, rates, lag per partition, restarts and last error.",
    )
    .argument('<job-id>', '', jobId);
  return withApiOptions(command).action(async (jobId: string, options: ApiOptions) => {
    const client = clientOf(command, options);
    await runOnApi(client, async () => {
      const answer = await client.jobStatus(jobId);
      printAnswer(options, answer, () => formatJobStatus(answer));
      return EXIT.ok;
    });
  });
}

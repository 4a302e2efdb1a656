/** `sluice jobs batches <job-id>`: a job's batches in its write-ahead log, newest first (GET /jobs/{jobId}/batches). */
import type { Command } from 'commander';
import { formatBatches } from '../../format/jobs.js';
import { newCommand } from '../../program.js';
import { clientOf, endpointFlag, printAnswer, withApiOptions, type ApiOptions } from './api-options.js';
import { nextPageHint, readPages, withPagingOptions, type PagingOptions } from './paging.js';
import { jobId } from './flag-values.js';
import { EXIT, runOnApi } from './run-on-api.js';

export function batchesCommand(): Command {
  const command = newCommand('batches')
    .usage('<job-id> [--limit <n>] [--next-token <t>] [--all] [options]')
    .summary("a job's batches, newest first")
    .description("A job's batches in its write-ahead log, newest first (GET /jobs/{jobId}/batches).")
    .argument('<job-id>', '', jobId);
  withPagingOptions(command, 'batches per page (1 to 100, default 20)');
  return withApiOptions(command).action(async (jobId: string, options: ApiOptions & PagingOptions) => {
    const client = clientOf(command, options);
    await runOnApi(client, async () => {
      const read = await readPages(options, 'batches', async (page) => {
        const answer = await client.batches(jobId, page);
        return { items: answer.batches, nextToken: answer.nextToken };
      });
      printAnswer(options, { batches: read.items, nextToken: read.nextToken }, () => [
        ...formatBatches(read.items),
        ...nextPageHint(`batches ${jobId}`, read.nextToken, { limit: options.limit }, endpointFlag(options)),
      ]);
      return EXIT.ok;
    });
  });
}

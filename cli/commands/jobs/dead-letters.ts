/** `sluice jobs dead-letters <job-id>`: the records a job could not process (GET /jobs/{jobId}/dead-letters). */
import type { Command } from 'commander';
import { formatDeadLetters } from '../../format/jobs.js';
import { newCommand } from '../../program.js';
import { clientOf, endpointFlag, printAnswer, withApiOptions, type ApiOptions } from './api-options.js';
import { nextPageHint, readPages, withPagingOptions, type PagingOptions } from './paging.js';
import { jobId } from './flag-values.js';
import { EXIT, runOnApi } from './run-on-api.js';

interface DeadLetterOptions extends ApiOptions, PagingOptions {
  readonly partition?: string;
}

export function deadLettersCommand(): Command {
  const command = newCommand('dead-letters')
    .usage('<job-id> [--partition <p>] [--limit <n>] [--next-token <t>] [--all] [options]')
    .summary('the records a job could not process')
    .description(
      [
        "The records a job could not process (GET /jobs/{jobId}/dead-letters): where each one is (partition, offset), the batch and the pipeline stage it failed in, and why (cut to fit; --json prints it whole, with the record's payload).",
        'In partition order, then offset order as text.',
      ].join(' '),
    )
    .argument('<job-id>', '', jobId)
    .option('--partition <p>', "one partition's only (e.g. shardId-000000000001)");
  withPagingOptions(command, 'dead letters per page (1 to 100, default 25)');
  return withApiOptions(command).action(async (jobId: string, options: DeadLetterOptions) => {
    const client = clientOf(command, options);
    const { partition } = options;
    await runOnApi(client, async () => {
      const read = await readPages(options, 'dead letters', async (page) => {
        const answer = await client.deadLetters(jobId, { ...page, ...(partition === undefined ? {} : { partition }) });
        return { items: answer.deadLetters, nextToken: answer.nextToken };
      });
      printAnswer(options, { jobId, deadLetters: read.items, nextToken: read.nextToken }, () => [
        ...formatDeadLetters(read.items),
        ...nextPageHint(`dead-letters ${jobId}`, read.nextToken, { partition, limit: options.limit }, endpointFlag(options)),
      ]);
      return EXIT.ok;
    });
  });
}

/** `sluice jobs results <job-id>`: pages through the rows of a job's sink (GET /jobs/{jobId}/results). */
import type { Command } from 'commander';
import type { ResultRowView, ResultsPage } from '../../../engine/api/results.js';
import { formatResults } from '../../format/results.js';
import { newCommand } from '../../program.js';
import { clientOf, endpointFlag, printAnswer, withApiOptions, type ApiOptions } from './api-options.js';
import { nextPageHint, readPages, withPagingOptions, type PagingOptions } from './paging.js';
import { jobId } from './flag-values.js';
import { EXIT, runOnApi } from './run-on-api.js';

export function resultsCommand(): Command {
  const command = newCommand('results')
    .usage('<job-id> [--limit <n>] [--next-token <t>] [--all] [options]')
    .summary("the rows of a job's sink")
    .description(
      [
        "The rows of a job's sink, a page at a time (GET /jobs/{jobId}/results): each row's key, the batch and replay generation that wrote it, and its value (cut to fit; --json prints it whole).",
        'A DynamoDB sink in its table scan order; a file sink through its commit log. A stream sink (Kinesis, Kafka) is read from the stream itself: the command says how.',
      ].join(' '),
    )
    .argument('<job-id>', '', jobId);
  withPagingOptions(command, 'rows per page (1 to 1000, default 100)');
  return withApiOptions(command).action(async (jobId: string, options: ApiOptions & PagingOptions) => {
    const client = clientOf(command, options);
    await runOnApi(client, async () => {
      let sink: ResultsPage['sink'] | undefined;
      const read = await readPages<ResultRowView>(options, 'rows', async (page) => {
        const answer = await client.results(jobId, page);
        sink = answer.sink;
        return { items: answer.rows, nextToken: answer.nextToken };
      });
      printAnswer(options, { jobId, sink, rows: read.items, nextToken: read.nextToken }, () => [
        ...formatResults(sink!, read.items),
        ...nextPageHint(`results ${jobId}`, read.nextToken, { limit: options.limit }, endpointFlag(options)),
      ]);
      return EXIT.ok;
    });
  });
}

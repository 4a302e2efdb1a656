/**
 * The paged listings (`sluice jobs batches`, `dead-letters`): --limit, --next-token and
 * --all, the pages read, and the hint line that prints the command for the next page.
 */
import type { Command } from 'commander';
import type { PageRequest } from '../../api-client.js';
import { positiveInteger } from '../../flag-values.js';

export interface PagingOptions {
  readonly limit?: number;
  readonly nextToken?: string;
  readonly all?: boolean;
}

/** Adds --limit (`perPage`: what a page holds and its default), --next-token and --all. */
export function withPagingOptions(command: Command, perPage: string): Command {
  return command
    .option('--limit <n>', perPage, positiveInteger)
    .option('--next-token <t>', 'the page after the one that printed this token')
    .option('--all', 'every page');
}

/**
 * The items of the page at --next-token (the first without it), and with --all of every
 * page after it; and the token of the page after the last one read (null: none).
 * `name` names the items in the progress line a terminal shows while --all reads.
 */
export async function readPages<T>(
  paging: PagingOptions,
  name: string,
  readPage: (page: PageRequest) => Promise<{ readonly items: readonly T[]; readonly nextToken: string | null }>,
): Promise<{ items: T[]; nextToken: string | null }> {
  const items: T[] = [];
  let token = paging.nextToken ?? null;
  for (let page = 1; ; page += 1) {
    const read = await readPage({
      ...(paging.limit === undefined ? {} : { limit: paging.limit }),
      ...(token === null ? {} : { nextToken: token }),
    });
    items.push(...read.items);
    token = read.nextToken;
    if (!paging.all || token === null) break;
    if (process.stderr.isTTY) process.stderr.write(`\rread ${page} pages, ${items.length} ${name}...`);
  }
  if (paging.all && process.stderr.isTTY) process.stderr.write('\n');
  return { items, nextToken: token };
}

/** The line that says how to read the next page (none after the last): the same command with its token and flags. */
export function nextPageHint(
  command: string,
  token: string | null,
  flags: Readonly<Record<string, string | number | undefined>>,
  endpointFlag: string,
): string[] {
  if (token === null) return [];
  const given = Object.entries(flags).filter((f): f is [string, string | number] => f[1] !== undefined);
  return [
    `more: sluice jobs ${command} --next-token ${token}${given.map(([flag, value]) => ` --${flag} ${value}`).join('')}${endpointFlag}`,
  ];
}

/**
 * docs/own-job.md, held to the code: its job and harness test are the files of
 * test/unit/docs/own-job/ (which the unit project runs), its catalog lines are what
 * `sluice new job` adds, its entry with parameters is one of own-job/catalog.ts, its sample records give the rows it describes, and its sink item
 * is what the DynamoDB sink writes for the first of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { withCatalogEntry } from '../../../cli/scaffold/catalog-edit.js';
import { DynamoDbSink } from '../../../engine/adapters/aws/dynamodb-sink.js';
import { resolveJob } from '../../../engine/driver/catalog.js';
import { createTestHarness } from '../../../engine/testing/harness.js';
import { REPO } from '../../support/scratch-project.js';
import { catalog } from './own-job/catalog.js';
import { orderTotals } from './own-job/job.js';

const page = readFileSync(join(REPO, 'docs', 'own-job.md'), 'utf8');
const fixture = (name: string) => readFileSync(join(REPO, 'test', 'unit', 'docs', 'own-job', name), 'utf8');

/** The page's fenced blocks of a language ('' for none), in order. */
function blocks(lang: string): string[] {
  return [...page.matchAll(/^```([a-z]*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === lang).map((m) => m[2]!);
}

describe('docs/own-job.md', () => {
  it("shows the job and its harness test exactly as the suite's files", () => {
    expect(blocks('ts')).toContain(fixture('job.ts'));
    expect(blocks('ts')).toContain(fixture('job.test.ts'));
  });

  it('shows the catalog lines and the output `sluice new job` gives', () => {
    const edited = withCatalogEntry(readFileSync(join(REPO, 'jobs', 'catalog.ts'), 'utf8'), 'order-totals');
    const snippet = blocks('ts').find((b) => b.includes('export const catalog'));
    expect(snippet).toBeDefined();
    for (const line of ["import { orderTotals } from './order-totals/job.js';", "  'order-totals': orderTotals,"]) {
      expect(snippet).toContain(line);
      expect(edited).toContain(line);
    }
    expect(blocks('')[0]).toContain('new job order-totals (orderTotals): stream order-totals-input -> table order-totals-results\n');
  });

  it('shows a catalog entry with parameters that the engine checks', () => {
    const entry = blocks('ts').find((b) => b.startsWith("'order-totals-into'"));
    expect(entry).toBeDefined();
    const indented = entry!.replace(/^(?=.)/gm, '  ');
    expect(fixture('catalog.ts')).toContain(indented);
    expect(resolveJob(catalog, 'order-totals-into', { sinkTable: 'elsewhere' }).sink).toMatchObject({ tableName: 'elsewhere' });
    expect(() => resolveJob(catalog, 'order-totals-into', {})).toThrow(/parameter sinkTable/);
    expect(() => resolveJob(catalog, 'order-totals', { sinkTable: 'elsewhere' })).toThrow(
      'job order-totals has no parameters, got "sinkTable"',
    );
  });

  it('gives, from its sample records, the rows it describes, stored as the item it shows', async () => {
    const records = blocks('')
      .find((b) => b.startsWith('{"orderId"'))!
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(records).toHaveLength(4);
    const t = createTestHarness(orderTotals);
    t.addRecords(records);
    await t.runBatch();
    const rows = await t.sinkRows();
    const noon = Date.UTC(2026, 0, 1, 12, 0);
    expect(rows.map((r) => r.value)).toEqual([
      { key: 'c-1', windowStart: noon, windowEnd: noon + 60_000, total: 35.5, orders: 2 },
      { key: 'c-1', windowStart: noon + 60_000, windowEnd: noon + 120_000, total: 12, orders: 1 },
      { key: 'c-2', windowStart: noon, windowEnd: noon + 60_000, total: 7, orders: 1 },
    ]);
    expect(page).toContain(
      '`c-1` in the minute from 12:00 (total 35.5, 2\norders), `c-2` in the same minute (7, 1) and `c-1` from 12:01 (12, 1)',
    );

    // What the DynamoDB sink sends for the first row, on a client that records its commands.
    const sent: { input: unknown }[] = [];
    const client = { send: async (command: { input: unknown }) => (sent.push(command), {}) } as unknown as DynamoDBDocumentClient;
    const first = rows[0]!;
    await new DynamoDbSink({ client, tableName: 'order-totals' }).write({
      jobId: 'order-totals',
      batchId: first.batchId,
      generation: first.generation,
      partition: 'p0',
      rows: [{ key: first.key, value: first.value }],
    });
    const input = sent[0]!.input as { TransactItems?: { Put: { Item: unknown } }[]; Item?: unknown };
    const item = input.TransactItems?.[0]?.Put.Item ?? input.Item;
    expect(item).toEqual(JSON.parse(blocks('json')[0]!));
  });
});

/**
 * The files `sluice new job <name>` writes (cli/commands/new-job.ts): a small job and a
 * harness test that passes as generated. Pure: names in, source text out, formatted as
 * `npm run format` would (so `npm test`'s format check passes on them).
 *
 * The job sums a number per key per minute of event time: records are JSON objects
 * `{ key, amount, ts }` on Kinesis stream `<name>-input`; rows go to DynamoDB table
 * `<name>-results`. A record without them is a dead letter (stage `map`).
 */

/** The job's stream and table, from its name. */
export function scaffoldNames(name: string): { readonly stream: string; readonly table: string } {
  return { stream: `${name}-input`, table: `${name}-results` };
}

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await arguments eval async of'
  ).split(' '),
);

/** The job's export: the name in camel case (`order-totals` → `orderTotals`), made a valid identifier. */
export function jobIdentifier(name: string): string {
  const camel = name.replace(/-+([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/-/g, '');
  if (/^[0-9]/.test(camel)) return `job${camel}`;
  return RESERVED.has(camel) ? `${camel}Job` : camel;
}

/** jobs/<name>/job.ts */
export function jobSource(name: string): string {
  const { stream, table } = scaffoldNames(name);
  return `/**
 * The ${name} job: the sum of \`amount\` per \`key\` per minute of event time, from Kinesis
 * stream \`${stream}\` (JSON records \`{ key, amount, ts }\`) into DynamoDB table \`${table}\`.
 * Test it: npx vitest run jobs/${name}
 */
import { defineJob, dynamoDbSink, kinesisSource, sum, tumbling } from '#sluice/job';

/** An input record, as the pipeline sees it after its check. */
interface Event {
  readonly key: string;
  readonly amount: number;
  readonly ts: number;
}

export const ${jobIdentifier(name)} = defineJob({
  name: '${name}',
  // Bump it (and declare a migration) when the state or the rows change meaning.
  version: 1,
  source: kinesisSource({ streamName: '${stream}', startingPosition: 'EARLIEST' }),
  decode: 'json',
  pipeline: (records) =>
    records
      // A record this throws on is a dead letter (stage 'map'), never a blocked partition.
      .map((r: Partial<Event>): Event => {
        if (typeof r.key !== 'string' || typeof r.amount !== 'number' || typeof r.ts !== 'number') {
          throw new TypeError('a record needs a string key, a number amount and a number ts (epoch ms)');
        }
        return { key: r.key, amount: r.amount, ts: r.ts };
      })
      .withWatermark((e) => e.ts, { allowedLatenessMs: 30_000 })
      .keyBy((e) => e.key)
      .window(tumbling({ sizeMs: 60_000 }))
      .aggregate(sum((e) => e.amount)),
  sink: dynamoDbSink({ tableName: '${table}' }),
  outputMode: 'update',
  trigger: { type: 'interval', intervalMs: 1_000 },
});
`;
}

/** jobs/<name>/job.test.ts */
export function jobTestSource(name: string): string {
  const job = jobIdentifier(name);
  return `/**
 * The ${name} job on the test harness: the engine's own plan, execute and commit on
 * memory adapters, no stand-in started. Run it: npx vitest run jobs/${name}
 */
import { createTestHarness } from '#sluice/testing';
import { describe, expect, it } from 'vitest';
import { ${job} } from './job.js';

describe('the ${name} job', () => {
  it('sums amounts per key per minute, and dead-letters a record without them', async () => {
    const t = createTestHarness(${job});
    t.addRecords([
      { key: 'a', amount: 2, ts: 1_000 },
      { key: 'a', amount: 3, ts: 59_000 },
      { key: 'b', amount: 1, ts: 61_000 },
      { key: 'a', ts: 2_000 },
    ]);

    const batch = await t.runBatch();

    expect(batch.records).toBe(4);
    expect(batch.deadLetters.map((d) => d.stage)).toEqual(['map']);
    const rows = batch.emitted.map((row) => row.value);
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining([
        { key: 'a', windowStart: 0, windowEnd: 60_000, value: 5 },
        { key: 'b', windowStart: 60_000, windowEnd: 120_000, value: 1 },
      ]),
    );
  });
});
`;
}

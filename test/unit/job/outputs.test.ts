/**
 * Where a job's rows go (engine/job/outputs.ts, engine/executor/sink-writes.ts): several
 * sinks, named side outputs a process function emits to, and dead letters copied to a sink.
 */
import { describe, expect, it } from 'vitest';
import { count, defineJob, memorySink, memorySource, s3FileSink, type JobSpec } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

interface Reading {
  readonly device: string;
  readonly celsius: number;
}

const MAIN = memorySink({ name: 'main' });
const COPY = memorySink({ name: 'copy' });
const ALERTS = memorySink({ name: 'alerts' });
const LETTERS = memorySink({ name: 'letters' });

const job = (extra: Partial<JobSpec<Reading>> = {}, keyedBy?: 'partitionKey') =>
  defineJob<Reading>({
    name: 'readings',
    version: 1,
    source: memorySource({ streamName: 'readings' }),
    sink: MAIN,
    pipeline: (readings) =>
      readings
        .keyBy((r) => r.device)
        .process({
          onValue(r, ctx) {
            if (r.celsius > 90) ctx.emit({ device: r.device, celsius: r.celsius }, { output: 'alerts' });
            else if (r.celsius < -50) ctx.emit({ device: r.device, celsius: r.celsius }, { output: 'freezing' });
            else ctx.emit({ device: r.device, celsius: r.celsius });
          },
        }),
    outputs: { alerts: { sink: ALERTS } },
    ...(keyedBy === undefined ? {} : { keyedBy }),
    ...extra,
  });

describe.each([
  ['key groups and the exchange', undefined],
  ['one stage per partition', 'partitionKey' as const],
])('side outputs on %s', (_path, keyedBy) => {
  it("routes a row emitted with { output } to that output's sinks only; an undeclared output is a dead letter", async () => {
    const t = createTestHarness(job({ sink: [MAIN, COPY] }, keyedBy));
    t.addRecords([{ device: 'd1', celsius: 20 }], { key: 'd1' });
    t.addRecords([{ device: 'd2', celsius: 95 }], { key: 'd2' });
    t.addRecords([{ device: 'd3', celsius: -60 }], { key: 'd3' });
    const batch = await t.runBatch();
    const values = async (sink: typeof MAIN) => (await t.ports.sink(sink).scan()).map((r) => r.value);
    expect(await values(MAIN)).toEqual([{ device: 'd1', celsius: 20 }]);
    expect(await values(COPY)).toEqual([{ device: 'd1', celsius: 20 }]);
    expect(await values(ALERTS)).toEqual([{ device: 'd2', celsius: 95 }]);
    expect(batch.deadLetters.map((d) => [d.stage, d.reason])).toEqual([
      ['sink', expect.stringContaining("its output 'freezing' is not one of the job's outputs (declared: alerts)")],
    ]);
  });
});

describe('several sinks and a dead-letters sink', () => {
  it('writes every row of an aggregation to each of the job’s sinks, with the batch’s id and generation', async () => {
    const t = createTestHarness(
      defineJob<Reading>({
        name: 'per-device',
        version: 1,
        source: memorySource({ streamName: 'readings' }),
        sink: [MAIN, COPY],
        pipeline: (readings) => readings.keyBy((r) => r.device).aggregate(count()),
      }),
    );
    t.addRecords([
      { device: 'd1', celsius: 1 },
      { device: 'd1', celsius: 2 },
      { device: 'd2', celsius: 3 },
    ]);
    await t.runBatch();
    const main = await t.ports.sink(MAIN).scan();
    expect(main.map((r) => [r.key, r.value])).toEqual([
      ['d1', { key: 'd1', value: 2 }],
      ['d2', { key: 'd2', value: 1 }],
    ]);
    expect(await t.ports.sink(COPY).scan()).toEqual(main);
  });

  it('commits the log of every file sink a job writes: its sinks and its outputs', async () => {
    const lake = s3FileSink({ prefix: 'lake/readings', format: 'jsonl' });
    const alertFiles = s3FileSink({ prefix: 'lake/alerts', format: 'jsonl' });
    const t = createTestHarness(job({ sink: [MAIN, lake], outputs: { alerts: { sink: [ALERTS, alertFiles] } } }));
    t.addRecords([{ device: 'd1', celsius: 20 }], { key: 'd1' });
    t.addRecords([{ device: 'd2', celsius: 95 }], { key: 'd2' });
    await t.runBatch();
    // A file sink's scan reads its committed files through its log: rows show only once the driver committed it.
    expect((await t.ports.sink(lake).scan()).map((r) => r.value)).toEqual([{ device: 'd1', celsius: 20 }]);
    expect((await t.ports.sink(alertFiles).scan()).map((r) => r.value)).toEqual([{ device: 'd2', celsius: 95 }]);
  });

  it('copies every dead letter to the dead-letters sink, keyed by its id, without the time it was recorded (a re-run writes the same row)', async () => {
    const t = createTestHarness(job({ deadLetters: { sink: LETTERS } }));
    t.addRawRecords(['{not json']);
    t.addRecords([{ device: 'd3', celsius: -60 }], { key: 'd3' });
    await t.runBatch();
    const letters = await t.deadLetters();
    const rows = await t.ports.sink(LETTERS).scan();
    const sorted = (list: string[][]) => list.map((x) => x.join(' ')).sort();
    expect(sorted(rows.map((r) => [String(r.value.stage), String(r.value.offset), String(r.value.partition)]))).toEqual(
      sorted(letters.map((l) => [l.stage, l.offset, l.partition])),
    );
    expect(letters.map((l) => l.stage).sort()).toEqual(['decode', 'sink']);
    expect(rows.every((r) => !('recordedAt' in r.value) && r.batchId === 1)).toBe(true);
  });

  it.each<[string, Partial<JobSpec<Reading>>, string]>([
    ['the same sink twice', { sink: [MAIN, MAIN] }, 'sink[1] is the same sink as sink[0]'],
    ['no sink', { sink: [] }, 'sink must name at least one sink'],
    ['an output on the job’s sink', { outputs: { alerts: { sink: MAIN } } }, 'outputs.alerts.sink is the same sink as sink'],
    ['a bad output name', { outputs: { 'Bad name': { sink: ALERTS } } }, 'outputs.Bad name must be named with'],
    [
      'an output without its sink field',
      { outputs: { alerts: { table: 'x' } as never } },
      'outputs.alerts.table is not a field of outputs.alerts',
    ],
    ['dead letters on an output’s sink', { deadLetters: { sink: ALERTS } }, 'deadLetters.sink is the same sink as outputs.alerts.sink'],
  ])('refuses %s', (_case, extra, message) => {
    expect(() => job(extra)).toThrow(message);
  });
});

import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import { count, defineJob, memorySink, memorySource, session, tumbling } from '../../../engine/job/index.js';
import { lateOutputOf, lateRowOf } from '../../../engine/executor/late-rows.js';
import { job } from '../job/harness.js';
import { PATHS, runOn, wordJob, type Path } from './paths.js';

const LATE = memorySink({ name: 'late-words' });

const perTen = (path: Path, lateRecords = true) =>
  wordJob(path, {
    pipeline: (words) =>
      words
        .withWatermark((w) => w.ts, { allowedLatenessMs: 5 })
        .keyBy((w) => w.word)
        .window(tumbling({ sizeMs: 10 }))
        .aggregate(count()),
    ...(lateRecords ? { lateRecords: { sink: LATE } } : {}),
  });

for (const path of PATHS) {
  describe(`late records, ${path.name}`, () => {
    it('a value behind the watermark whose window is open is counted; one whose window closed is late and lands in the late sink', async () => {
      const run = runOn(path, perTen(path));
      const first = await run.batch([{ word: 'a', ts: 30 }]);
      expect(first.late).toEqual([]);
      // Watermark 25: 26 is behind it in [20, 30), still open; 19's window [10, 20) ended.
      const second = await run.batch([
        { word: 'a', ts: 26 },
        { word: 'a', ts: 19 },
      ]);
      expect(second.watermarkMs).toBe(25);
      expect(second.emitted.map((r) => [r.key, r.value.value])).toEqual([['a#20', 1]]);
      expect(second.lateRecords).toBe(1);
      expect(second.late).toHaveLength(1);
      const row = second.late![0]!;
      const { partition, offset } = row.value as { partition: string; offset: string };
      expect(row.key).toBe(`${partition}:${offset}`);
      expect(row.batchId).toBe(2);
      expect(row.value).toEqual({
        partition,
        offset,
        partitionKey: path.keyedBy === undefined ? 'r3' : 'a',
        data: JSON.stringify({ word: 'a', ts: 19 }),
        arrivalTimeMs: expect.any(Number),
        eventTimeMs: 19,
        watermarkMs: 25,
      });
      // Both ways the record was appended to p1 (paths.ts).
      expect(partition).toBe('p1');
      expect(offset).toMatch(/^\d+$/);
      // The main sink never sees it.
      expect((await run.t.sinkRows()).map((r) => r.key)).toEqual(['a#20', 'a#30']);
    });

    it('a session value is late when t + gap <= watermark, not before', async () => {
      const run = runOn(
        path,
        wordJob(path, {
          pipeline: (words) =>
            words
              .withWatermark((w) => w.ts, { allowedLatenessMs: 0 })
              .keyBy((w) => w.word)
              .window(session({ gapMs: 10 }))
              .aggregate(count()),
          lateRecords: { sink: LATE },
        }),
      );
      await run.batch([{ word: 'a', ts: 100 }]);
      // Watermark 100: 91 + 10 > 100 opens [91, 101), merging with [100, 110); 90 + 10 <= 100 is late.
      const second = await run.batch([
        { word: 'a', ts: 91 },
        { word: 'a', ts: 90 },
      ]);
      expect(second.lateRecords).toBe(1);
      expect(second.late!.map((r) => [r.value.eventTimeMs, r.value.watermarkMs])).toEqual([[90, 100]]);
      expect(second.emitted.map((r) => [r.value.windowStart, r.value.windowEnd, r.value.value])).toEqual([[91, 110, 2]]);
    });

    it('without the option, late records are counted and dropped (Spark), and batches list none', async () => {
      const run = runOn(path, perTen(path, false));
      await run.batch([{ word: 'a', ts: 30 }]);
      const second = await run.batch([{ word: 'a', ts: 1 }]);
      expect(second.lateRecords).toBe(1);
      expect(second.late).toBeUndefined();
      expect(await run.t.ports.sink(LATE).scan()).toEqual([]);
    });
  });
}

describe('late records: the row and the option', () => {
  it('holds a payload that is not UTF-8 as base64', () => {
    const record = { partition: 'p0', offset: '7', key: 'k', data: new Uint8Array([0xff, 0xfe, 0x41]), arrivalTimeMs: 5 };
    expect(lateRowOf({ record, eventTimeMs: 1 }, 9)).toEqual({
      key: 'p0:7',
      value: {
        partition: 'p0',
        offset: '7',
        partitionKey: 'k',
        data: '//5B',
        encoding: 'base64',
        arrivalTimeMs: 5,
        eventTimeMs: 1,
        watermarkMs: 9,
      },
    });
    const text = { ...record, data: new TextEncoder().encode('héllo') };
    expect(lateRowOf({ record: text, eventTimeMs: 1 }, 9).value).toMatchObject({ data: 'héllo' });
    expect(lateRowOf({ record: text, eventTimeMs: 1 }, 9).value).not.toHaveProperty('encoding');
  });

  it('makes a late record too large for a sink row a dead letter of stage late, filed under its own offset', () => {
    const record = (offset: string, bytes: number) => ({
      partition: 'p1',
      offset,
      key: 'k',
      data: new TextEncoder().encode('x'.repeat(bytes)),
      arrivalTimeMs: 5,
    });
    const { rows, letters } = lateOutputOf(
      [
        { record: record('3', 10), eventTimeMs: 1 },
        { record: record('4', 500 * 1024), eventTimeMs: 2 },
      ],
      { jobId: 'j', batchId: 7, watermarkMs: 9, now: 100 },
    );
    expect(rows.map((r) => r.key)).toEqual(['p1:3']);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ jobId: 'j', batchId: 7, partition: 'p1', offset: '4', stage: 'late', rowKey: 'p1:4' });
  });

  const windowed = (s: any) =>
    s
      .withWatermark((e: any) => e.ts, { allowedLatenessMs: 0 })
      .keyBy((e: any) => e.k)
      .window(tumbling({ sizeMs: 10 }))
      .aggregate(count());

  it.each([
    [{ sink: { type: 'memory', name: '' } }, 'lateRecords.sink'],
    [{ sink: memorySink({ name: 'out' }) }, 'lateRecords.sink is the same sink as sink: one sink serves one output'],
    [{ sink: LATE, table: 'x' }, 'lateRecords.table is not a field of lateRecords (it has one: sink)'],
    ['late', 'lateRecords must be an object'],
  ])('refuses lateRecords: %j', (lateRecords, message) => {
    expect(() => job({ pipeline: windowed, lateRecords: lateRecords as any })).toThrow(JobSpecError);
    expect(() => job({ pipeline: windowed, lateRecords: lateRecords as any })).toThrow(message);
  });

  it('refuses lateRecords on a pipeline without a watermark, where nothing is late', () => {
    expect(() =>
      defineJob({
        name: 'no-watermark',
        version: 1,
        source: memorySource({ streamName: 'in' }),
        sink: memorySink({ name: 'out' }),
        pipeline: (s) => s.keyBy((e) => e.k).aggregate(count()),
        lateRecords: { sink: LATE },
      }),
    ).toThrow('job no-watermark: lateRecords declares where late records go, but this pipeline has no withWatermark()');
  });
});

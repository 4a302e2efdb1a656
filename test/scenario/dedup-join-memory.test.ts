/**
 * Exactly-once through a deduplication job and an interval-join job, on the memory
 * adapters, both with state in key groups (two stages, the exchange) and with state per
 * partition (keyedBy: 'partitionKey'): a crash at every step boundary of a batch, then
 * recovery by a new driver (as crash-points.scenario.ts); a replay in place and a replay
 * into a new job (as replay-key-groups.scenario.ts). Every result is compared with the
 * exact output computed from the input alone.
 *
 * The input: three partitions of events keyed (as partition key) by the dedup key or the
 * auction. Dedup: each event comes once to three times (a producer's retries: same id,
 * same event time, same partition); the first of each id must be written, once. Join
 * (bids with auctions, bounds [-5 s, +10 s] from the bid): each auction gets bids 2 s
 * before it, 0.5 s and 5 s after it (the lower bound, inclusive), which join, and one
 * 12 s after it, which does not. Event times rise with each partition's records and the
 * watermark's delay is wider than any disorder, so no value is late and the exact output
 * does not depend on how the records fall into batches.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts, type MemoryPorts } from '../../engine/adapters/memory/index.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import { defineJob, dynamoDbSink, kinesisSource } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import type { JsonObject } from '../../engine/json.js';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { CRASH_POINTS, EXCHANGE_STORE_CRASH_POINTS, SimulatedCrash, TWO_STAGE_CRASH_POINTS, withCrash } from '../support/crash.js';
import { committedState } from '../support/scenario.js';

const PARTITIONS = ['shard-0', 'shard-1', 'shard-2'];
const CAP = 8;
const BASE = Date.UTC(2026, 10, 1);
const N = 3; // replays start after batch N
type Kind = 'dedup' | 'join';
type Layout = 'key-groups' | 'partitions';

interface Input {
  readonly partition: string;
  readonly payload: string;
  readonly key: string;
  /** Set by load: the record's offset. */
  offset?: string;
  readonly event: Record<string, unknown> | null;
}

/** The input of a kind: per partition, in order. */
function inputOf(kind: Kind): Input[] {
  const out: Input[] = [];
  PARTITIONS.forEach((partition, p) => {
    const events: Record<string, unknown>[] = [];
    if (kind === 'dedup') {
      for (let n = 0; n < 30; n += 1) {
        const e = { id: `${partition}-e${n}`, t: BASE + n * 200, user: `u${(n + p) % 4}` };
        for (let copy = 0; copy <= (n * 7 + p) % 3; copy += 1) events.push(e);
      }
      // Retries arrive a little after the first: move every second copy two places on.
      for (let i = 0; i + 2 < events.length; i += 2) [events[i + 1], events[i + 2]] = [events[i + 2]!, events[i + 1]!];
    } else {
      for (let j = 0; j < 12; j += 1) {
        const id = `${partition}-a${j}`;
        const t = BASE + j * 4_000;
        events.push({ type: 'auction', id, t, seller: `s${j % 3}` });
        [-2_000, 500, 5_000, 12_000].forEach((dt, b) =>
          events.push({ type: 'bid', id: `${id}-b${b}`, auction: id, t: t + dt, price: 10 * b + j }),
        );
      }
      events.sort((a, b) => (a.t as number) - (b.t as number));
    }
    const records: Input[] = events.map((e) => ({ partition, payload: JSON.stringify(e), key: String(e.auction ?? e.id), event: e }));
    records.splice(17, 0, { partition, payload: '{not json', key: 'none', event: null }); // a dead letter
    out.push(...records);
  });
  return out;
}

function jobOf(kind: Kind, layout: Layout, args: { fixed: boolean; table: string }): JobDefinition {
  const common = {
    version: 1,
    source: kinesisSource({ streamName: 'events' }),
    sink: dynamoDbSink({ tableName: args.table }),
    trigger: { type: 'availableNow' as const },
    maxRecordsPerPartition: CAP,
    checkpoint: { snapshotEvery: 3, retainBatches: 50 },
    ...(layout === 'key-groups' ? { keyGroups: 4 } : { keyedBy: 'partitionKey' as const }),
  };
  if (kind === 'dedup') {
    return defineJob({
      ...common,
      name: 'dedup-events',
      pipeline: (events) =>
        events
          .map((e: { id: string; t: number; user: string }) => (args.fixed ? { id: e.id, t: e.t, user: e.user } : { id: e.id, t: e.t }))
          .withWatermark((e) => e.t, { allowedLatenessMs: 10_000 })
          .dropDuplicatesWithinWatermark((e) => e.id),
    });
  }
  return defineJob({
    ...common,
    name: 'auction-bids',
    pipeline: (events) => {
      const timed = events.withWatermark((e: { t: number }) => e.t, { allowedLatenessMs: 15_000 });
      const bids = timed.filter((e: { type: string }) => e.type === 'bid');
      const auctions = timed.filter((e: { type: string }) => e.type === 'auction');
      return bids
        .keyBy((b: { auction: string }) => b.auction)
        .intervalJoin(
          auctions.keyBy((a: { id: string }) => a.id),
          { lowerMs: -5_000, upperMs: 10_000 },
          (b: JsonObject, a: JsonObject) =>
            args.fixed ? { auction: a.id, bid: b.id, price: b.price, seller: a.seller } : { auction: a.id, bid: b.id, price: b.price },
        );
    },
  });
}

/** The exact output, from the input alone: row key → { old, fixed } values. */
function expectedRows(kind: Kind, input: readonly Input[]): Map<string, { old: JsonObject; fixed: JsonObject }> {
  const rows = new Map<string, { old: JsonObject; fixed: JsonObject }>();
  const id = (i: Input) => `${i.partition}:${i.offset}:0`;
  const good = input.filter((i) => i.event !== null);
  if (kind === 'dedup') {
    const seen = new Set<unknown>();
    for (const i of good) {
      const e = i.event as { id: string; t: number; user: string };
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      rows.set(id(i), { old: { id: e.id, t: e.t }, fixed: { id: e.id, t: e.t, user: e.user } });
    }
    return rows;
  }
  const bids = good.filter((i) => i.event!.type === 'bid');
  const auctions = good.filter((i) => i.event!.type === 'auction');
  for (const b of bids) {
    for (const a of auctions) {
      const [be, ae] = [b.event as JsonObject, a.event as JsonObject];
      if (be.auction !== ae.id || (ae.t as number) < (be.t as number) - 5_000 || (ae.t as number) > (be.t as number) + 10_000) continue;
      const old = { auction: ae.id!, bid: be.id!, price: be.price! };
      rows.set(`${id(b)}|${id(a)}`, { old, fixed: { ...old, seller: ae.seller! } });
    }
  }
  return rows;
}

async function world(kind: Kind, layout: Layout, name: string) {
  const ports: MemoryPorts = createMemoryPorts();
  ports.source.createStream('events', PARTITIONS);
  const input = inputOf(kind);
  const encoder = new TextEncoder();
  for (const i of input) [i.offset] = ports.source.append('events', i.partition, [{ key: i.key, data: encoder.encode(i.payload) }]);
  const job = jobOf(kind, layout, { fixed: false, table: `${name}-out` });
  return { ports, input, job, jobId: `${kind}-${layout}-${name}` };
}

async function runToEnd(ports: MemoryPorts, job: JobDefinition, jobId: string) {
  expect((await runDriver(job, ports, { jobId, executorAttempts: 1 })).stoppedBy).toBe('caught-up');
}

async function sinkOf(ports: MemoryPorts, job: JobDefinition) {
  return (await ports.sinks(job.sink).scan()).map((r) => ({ key: r.key, value: r.value, batchId: r.batchId }));
}

/** The exact outcome: the expected rows (old values) and nothing else, the malformed records once each, every batch committed once. */
async function assertExact(w: Awaited<ReturnType<typeof world>>) {
  const expected = expectedRows(w.job.pipeline.description.includes('intervalJoin') ? 'join' : 'dedup', w.input);
  const rows = await sinkOf(w.ports, w.job);
  expect(new Map(rows.map((r) => [r.key, r.value]))).toEqual(new Map([...expected].map(([k, v]) => [k, v.old])));
  const letters = await w.ports.deadLetters.list(w.jobId);
  expect(letters.map((l) => `${l.partition}:${l.stage}`).sort()).toEqual(PARTITIONS.map((p) => `${p}:decode`));
  const batches = await w.ports.wal.listBatches(w.jobId);
  expect(batches.map((b) => [b.plan.batchId, b.status])).toEqual(batches.map((_, i) => [i + 1, BatchStatus.COMMITTED]));
  expect(batches.reduce((n, b) => n + b.commit!.metrics.lateRecords, 0)).toBe(0);
}

for (const kind of ['dedup', 'join'] as const) {
  for (const layout of ['key-groups', 'partitions'] as const) {
    describe(`${kind === 'dedup' ? 'dropDuplicatesWithinWatermark' : 'intervalJoin'} job, state in ${layout} (memory)`, () => {
      let clean: Promise<{ batchId: number; state: unknown; rows: number }> | undefined;
      const reference = () =>
        (clean ??= world(kind, layout, 'clean').then(async (w) => {
          await runToEnd(w.ports, w.job, w.jobId);
          await assertExact(w);
          return { ...(await committedState(w)), rows: expectedRows(kind, w.input).size };
        }));

      it('a clean run writes exactly the expected rows', async () => {
        const { batchId, rows } = await reference();
        expect(batchId).toBeGreaterThan(N + 2);
        expect(rows).toBeGreaterThan(60);
      });

      const points =
        layout === 'partitions' ? CRASH_POINTS : TWO_STAGE_CRASH_POINTS.filter((p) => !EXCHANGE_STORE_CRASH_POINTS.includes(p));
      for (const point of points) {
        it(`recovers from a crash ${point} in batch 3: exact rows, the clean run's state`, async () => {
          const w = await world(kind, layout, point);
          const crashing = withCrash(w.ports, { point, batchId: 3 });
          await expect(runDriver(w.job, crashing, { jobId: w.jobId, executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
          expect(crashing.fired()).toBe(true);
          await runToEnd(w.ports, w.job, w.jobId);
          await assertExact(w);
          const { rows: _, ...expected } = await reference();
          expect(await committedState(w, expected.batchId)).toEqual(expected);
        });
      }

      it('replays in place from batch N with fixed output: the replayed batches’ rows change, the others stay, nothing else', async () => {
        const w = await world(kind, layout, 'in-place');
        await runToEnd(w.ports, w.job, w.jobId);
        const before = new Map((await sinkOf(w.ports, w.job)).map((r) => [r.key, r.batchId]));
        const fixed = jobOf(kind, layout, { fixed: true, table: 'in-place-out' });
        const outcome = await replayJob({ jobId: w.jobId, fromBatchId: N }, { ports: w.ports, job: fixed, executorAttempts: 1 });
        expect(outcome.replayed).toBeGreaterThan(2);
        const expected = expectedRows(kind, w.input);
        const want = new Map([...expected].map(([k, v]) => [k, before.get(k)! <= N ? v.old : v.fixed]));
        expect([...want.values()].filter((v) => 'user' in v || 'seller' in v).length).toBeGreaterThan(0);
        expect(new Map((await sinkOf(w.ports, fixed)).map((r) => [r.key, r.value]))).toEqual(want);
      });

      it('replays from batch N into a new job: its sink holds exactly the replayed batches’ rows, fixed; the old job is untouched', async () => {
        const w = await world(kind, layout, 'into');
        await runToEnd(w.ports, w.job, w.jobId);
        const old = await sinkOf(w.ports, w.job);
        const fixed = jobOf(kind, layout, { fixed: true, table: 'into-new-out' });
        await replayJob(
          { jobId: w.jobId, fromBatchId: N, intoJobId: `${w.jobId}-fixed` },
          { ports: w.ports, job: fixed, executorAttempts: 1 },
        );
        expect(await sinkOf(w.ports, w.job)).toEqual(old);
        const expected = expectedRows(kind, w.input);
        const replayed = old.filter((r) => r.batchId > N).map((r) => [r.key, expected.get(r.key)!.fixed] as const);
        expect(replayed.length).toBeGreaterThan(0);
        expect(new Map((await sinkOf(w.ports, fixed)).map((r) => [r.key, r.value]))).toEqual(new Map(replayed));
        // The new job goes on from the replay's last batch.
        await runToEnd(w.ports, fixed, `${w.jobId}-fixed`);
      });
    });
  }
}

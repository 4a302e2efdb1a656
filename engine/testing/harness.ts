import { createMemoryPorts, type MemoryPorts } from '../adapters/memory/index.js';
import { commitBatch, type CommitBatchResult } from '../driver/commit-batch.js';
import { planBatch } from '../driver/plan-batch.js';
import { startDriver } from '../driver/start-driver.js';
import { runKeyGroups } from '../executor/run-key-groups.js';
import { runPartition } from '../executor/run-partition.js';
import { keyGroupOfScope, keyGroupScope } from '../protocol/key-groups.js';
import { runStageTwo } from '../driver/run-driver.js';
import { StateCache } from '../executor/state-cache.js';
import type { JobDefinition } from '../job/types.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { DeadLetter } from '../ports/dead-letter-queue.js';
import type { StoredRow } from '../ports/sink.js';

export interface HarnessOptions {
  /** Partition ids of the in-memory stream (default one partition, 'p0'). */
  readonly partitions?: readonly string[];
  /** The job instance id (default: the job's name). */
  readonly jobId?: string;
  /** Where the clock starts (default 2026-01-01T00:00:00Z). */
  readonly startTimeMs?: number;
}

export interface HarnessBatch {
  readonly batchId: number;
  /** Records read by the batch, all partitions. */
  readonly records: number;
  /** Rows the batch wrote to the sink, by key. */
  readonly emitted: StoredRow[];
  readonly deadLetters: DeadLetter[];
  readonly lateRecords: number;
  /** Rows the batch wrote to the late-records sink, when the job declares one (JobSpec.lateRecords). */
  readonly late?: StoredRow[];
  /** The watermark the batch ran with (fixed in its plan). */
  readonly watermarkMs: number | null;
  /** State rows after the batch, all partitions. */
  readonly stateRows: number;
  readonly commit: CommitBatchResult;
}

export interface TestHarness {
  /** Appends values to a partition (JSON-encoded, as a producer would). */
  addRecords(values: readonly unknown[], options?: { partition?: string; key?: string }): void;
  /** Appends raw bytes (for malformed-record tests). */
  addRawRecords(payloads: readonly (string | Uint8Array)[], options?: { partition?: string; key?: string }): void;
  /** Plans, executes and commits one batch through the engine's own driver and executor functions. */
  runBatch(): Promise<HarnessBatch>;
  /** Runs batches until one reads nothing. Returns the batches run. */
  runUntilIdle(maxBatches?: number): Promise<HarnessBatch[]>;
  /** Moves the clock (arrival times of later records, plan times). */
  advanceTime(ms: number): void;
  /** Every row in the sink, by key. */
  sinkRows(): Promise<StoredRow[]>;
  /** Sink rows as { key: value } for easy assertions. */
  sinkValues(): Promise<Record<string, JsonObject>>;
  /**
   * The committed state of a partition or key group (`keygroup-0003`) as key/value
   * entries; without one, all of it: keys prefixed `<partition>/` when state lives per
   * partition, plain state keys when it lives in key groups.
   */
  state(partition?: string): Promise<Map<string, JsonValue>>;
  deadLetters(): Promise<DeadLetter[]>;
  readonly ports: MemoryPorts;
  readonly jobId: string;
}

/**
 * The harness users test their jobs with, on the memory adapters: the equivalent of
 * Spark's MemoryStream + testStream. It runs the same plan/execute/commit functions as
 * the real drivers, so a job that passes here behaves the same on AWS.
 *
 *   const t = createTestHarness(pageViews, { partitions: ['p0'] });
 *   t.addRecords([{ page: 'a', ts: 1000 }]);
 *   const batch = await t.runBatch();
 *   expect(batch.emitted.map((r) => r.value)).toEqual([...]);
 *
 * A job with lookup stages reads the memory lookup tables, by table name, which the test
 * sets and changes between batches: `t.ports.lookups.put('customers', [{ id: 'c1', tier: 'gold' }])`.
 */
export function createTestHarness(job: JobDefinition, options: HarnessOptions = {}): TestHarness {
  const ports = createMemoryPorts();
  if (options.startTimeMs !== undefined) ports.clock.advance(options.startTimeMs - ports.clock.now());
  const partitions = options.partitions ?? ['p0'];
  // A kafka source reads the Kafka twin (offsets 0, 1, 2..., ranges fixed at plan time).
  const { source, name: streamName } = ports.memorySourceOf(job.source.spec);
  source.createStream(streamName, partitions);
  const jobId = options.jobId ?? job.name;
  const ctx = { ports, job };
  const cache = new StateCache();
  let epoch: number | null = null;
  const encoder = new TextEncoder();

  const append = (payloads: readonly Uint8Array[], opts: { partition?: string; key?: string } = {}) => {
    const partition = opts.partition ?? partitions[0]!;
    source.append(
      streamName,
      partition,
      payloads.map((data, i) => ({ key: opts.key ?? `k${i}`, data })),
    );
  };

  const committedState = async (scope: string): Promise<Map<string, JsonValue>> => {
    const latest = await ports.wal.getLatestBatch(jobId);
    const group = keyGroupOfScope(scope);
    const version =
      group === null ? (latest?.commit?.partitions[scope]?.stateVersion ?? 0) : (latest?.commit?.groups?.[group]?.version ?? 0);
    return ports.state.load(jobId, scope, version);
  };

  const harness: TestHarness = {
    ports,
    jobId,
    addRecords(values, opts) {
      append(
        values.map((v) => encoder.encode(JSON.stringify(v))),
        opts,
      );
    },
    addRawRecords(payloads, opts) {
      append(
        payloads.map((p) => (typeof p === 'string' ? encoder.encode(p) : p)),
        opts,
      );
    },
    async runBatch() {
      epoch ??= (await startDriver({ jobId }, ctx)).epoch;
      const plan = await planBatch({ jobId, epoch }, ctx);
      const results = await Promise.all(
        plan.partitions.map((partition) => runPartition({ jobId, batchId: plan.batchId, partition }, { ports, job, cache })),
      );
      const stageTwo = await runStageTwo(plan, results, (groups) =>
        runKeyGroups({ jobId, batchId: plan.batchId, groups, stageOne: results }, { ports, job, cache }),
      );
      const commit = await commitBatch({ jobId, epoch, batchId: plan.batchId, results, ...stageTwo }, ctx);
      const sink = ports.sink(job.sink);
      const emitted = (await sink.scan()).filter((row) => row.batchId === plan.batchId);
      const deadLetters = (await ports.deadLetters.list(jobId)).filter((d) => d.batchId === plan.batchId);
      const late =
        job.lateRecords === undefined
          ? undefined
          : (await ports.sink(job.lateRecords.sink).scan()).filter((row) => row.batchId === plan.batchId);
      return {
        batchId: plan.batchId,
        records: commit.metrics.records,
        emitted,
        deadLetters,
        lateRecords: commit.metrics.lateRecords,
        ...(late === undefined ? {} : { late }),
        watermarkMs: plan.watermarkMs,
        stateRows: commit.metrics.stateRows,
        commit,
      };
    },
    async runUntilIdle(maxBatches = 1000) {
      const batches: HarnessBatch[] = [];
      for (let i = 0; i < maxBatches; i += 1) {
        const batch = await harness.runBatch();
        batches.push(batch);
        if (batch.records === 0) return batches;
      }
      throw new Error(`the job did not go idle within ${maxBatches} batches`);
    },
    advanceTime(ms) {
      ports.clock.advance(ms);
    },
    async sinkRows() {
      return ports.sink(job.sink).scan();
    },
    async sinkValues() {
      return Object.fromEntries((await harness.sinkRows()).map((r) => [r.key, r.value]));
    },
    async state(partition) {
      if (partition !== undefined) return committedState(partition);
      const all = new Map<string, JsonValue>();
      const latest = await ports.wal.getLatestBatch(jobId);
      if (latest?.plan.keyGroups !== undefined) {
        // Key groups: a key's state is in exactly one group, so the union has no clashes.
        for (const group of Object.keys(latest.commit?.groups ?? {})) {
          for (const [k, v] of await committedState(keyGroupScope(Number(group)))) all.set(k, v);
        }
        return all;
      }
      for (const p of partitions) for (const [k, v] of await committedState(p)) all.set(`${p}/${k}`, v);
      return all;
    },
    async deadLetters() {
      return ports.deadLetters.list(jobId);
    },
  };
  return harness;
}

/**
 * The rules of engine/ports/write-ahead-log.ts, checked against any adapter: what the
 * contract's parts share, the fixture an adapter is tested through and the batch records
 * the tests store. The parts, each a function of an adapter's name and `makeAdapter`,
 * which write-ahead-log.test.ts calls for every adapter:
 *   write-ahead-log-lease.contract.ts       the driver lease (epochs)
 *   write-ahead-log-batches.contract.ts     plans, commits, reading batches, deleting old ones
 *   write-ahead-log-range-ends.contract.ts  the range end each executor records
 *   write-ahead-log-replays.contract.ts     replays: generations, superseded batches
 *   write-ahead-log-format.contract.ts      the stored format of batch records
 * Each test gets a fresh adapter from `makeAdapter`, with access to what it stores.
 */
import { beforeEach, describe } from 'vitest';
import type { ReplayRecord, WriteAheadLog } from '../../engine/ports/write-ahead-log.js';
import type { BatchCommit, BatchPlan, PartitionCommit } from '../../engine/protocol/batch-records.js';
import type { RangeEnd } from '../../engine/protocol/offsets.js';
import { batchCommit, batchPlan, metrics, partitionCommit, partitionPlan } from '../support/builders.js';

export const SHARDS = ['shardId-000000000000', 'shardId-000000000001'];
export const OFFSET_A = '49590338271490256608559692538361571095921575989136588898';
export const OFFSET_B = '49590338271490256608559692540925702759324208523137515618';

export function testPlan(jobId: string, batchId: number, epoch: number, partitions: readonly string[] = SHARDS): BatchPlan {
  return batchPlan({
    jobId,
    batchId,
    epoch,
    plannedAt: 1_767_225_600_000 + batchId * 1_000,
    watermarkMs: batchId === 1 ? null : 1_767_225_000_000 + batchId,
    maxEventTimeMs: batchId === 1 ? null : 1_767_225_060_000 + batchId,
    partitions: partitions.map((partition, i) =>
      partitionPlan(partition, {
        start:
          i % 3 === 0
            ? { type: 'EARLIEST' }
            : i % 3 === 1
              ? { type: 'AFTER', offset: OFFSET_A }
              : { type: 'AT_TIMESTAMP', timestamp: 1_767_225_600_000 },
        maxRecords: 500,
        baseStateVersion: batchId - 1,
      }),
    ),
    // A finished (closed, fully read) shard is carried forward with its final state version.
    finished: batchId > 1 ? { 'shardId-parent': 1 } : {},
  });
}

export function testCommit(plan: BatchPlan, epoch = plan.epoch, committedAt = plan.plannedAt + 250): BatchCommit {
  const partitions: Record<string, PartitionCommit> = {};
  plan.partitions.forEach((p, i) => {
    const end: RangeEnd = i === 0 ? { count: 0 } : { count: 17, lastOffset: OFFSET_B };
    partitions[p.partition] = partitionCommit({
      end,
      nextStart: end.count === 0 ? p.start : { type: 'AFTER', offset: OFFSET_B },
      stateVersion: i === 0 ? p.baseStateVersion : plan.batchId,
      caughtUp: i === 0,
      lagMs: i === 0 ? 0 : null,
    });
  });
  return batchCommit({
    batchId: plan.batchId,
    epoch,
    committedAt,
    partitions,
    metrics: metrics({ records: 17, outputRows: 4, deadLetters: 1, stateRows: 9, stateBytesWritten: 1_234, durationMs: 250 }),
  });
}

export function testReplay(jobId: string, generation: number, epoch: number, overrides: Partial<ReplayRecord> = {}): ReplayRecord {
  return {
    jobId,
    generation,
    sourceJobId: jobId,
    fromBatchId: 2,
    toBatchId: 5,
    supersededUpTo: 5,
    jobVersion: 2,
    epoch,
    startedAt: 1_767_225_700_000 + generation,
    finishedAt: null,
    ...overrides,
  };
}

/** An adapter, and its batch records as stored: to store what code of another format wrote. */
export interface WriteAheadLogFixture {
  readonly wal: WriteAheadLog;
  /** Stores a batch record exactly as given: no format version is added, no rule applies. */
  putStoredBatch(jobId: string, batchId: number, stored: Readonly<Record<string, unknown>>): Promise<void>;
  /** A batch record as stored (without the store's own keys), undecoded; null when there is none. */
  getStoredBatch(jobId: string, batchId: number): Promise<unknown>;
}

/** A fresh adapter with access to what it stores, for each test of a part. */
export type MakeWriteAheadLog = () => Promise<WriteAheadLogFixture> | WriteAheadLogFixture;

/**
 * Declares a part's tests in the contract's describe block for adapter `name`, a fresh
 * adapter from `makeAdapter` before each test. The tests are declared once, before any
 * adapter exists, so `tests` gets one that forwards every call to the current test's.
 */
export function describeContractPart(name: string, makeAdapter: MakeWriteAheadLog, tests: (adapter: WriteAheadLogFixture) => void): void {
  describe(`WriteAheadLog contract: ${name}`, () => {
    let current: WriteAheadLogFixture | undefined;
    beforeEach(async () => {
      current = await makeAdapter();
    });
    const now = (): WriteAheadLogFixture => {
      if (current === undefined) throw new Error('the write-ahead log contract reaches its adapter only inside a test');
      return current;
    };
    const wal = new Proxy({} as WriteAheadLog, {
      get(_target, method) {
        const log = now().wal;
        const value: unknown = Reflect.get(log, method, log);
        return typeof value === 'function' ? value.bind(log) : value;
      },
    });
    tests({
      wal,
      putStoredBatch: (jobId, batchId, stored) => now().putStoredBatch(jobId, batchId, stored),
      getStoredBatch: (jobId, batchId) => now().getStoredBatch(jobId, batchId),
    });
  });
}

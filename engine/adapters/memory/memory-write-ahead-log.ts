import { ConcurrentDriverError, NotFoundError } from '../../errors.js';
import { decodeBatchRecord, encodeBatchRecord } from '../../protocol/batch-record-format.js';
import { BatchStatus, generationOf, type BatchCommit, type BatchPlan, type BatchRecord } from '../../protocol/batch-records.js';
import type { RecordedRangeEnd } from '../../protocol/offsets.js';
import { replayUnfinishedError, type ReplayRecord, type SupersededBatch, type WriteAheadLog } from '../../ports/write-ahead-log.js';

interface JobLog {
  epoch: number;
  /** Raised by beginReplay: plans of a lower generation are refused. */
  generation: number;
  /** Batch records as stored (batch-record-format.ts): every read decodes them. */
  batches: Map<number, unknown>;
  ranges: Map<string, RecordedRangeEnd>;
  replays: Map<number, ReplayRecord>;
  /** Per replay generation, the batches it superseded, by id: each as stored, with its range ends. */
  superseded: Map<number, Map<number, { readonly record: unknown; readonly rangeEnds: Record<string, RecordedRangeEnd> }>>;
}

/** The WAL in memory, with the same conditional rules as the DynamoDB adapter. */
export class MemoryWriteAheadLog implements WriteAheadLog {
  private readonly jobs = new Map<string, JobLog>();

  private job(jobId: string): JobLog {
    let log = this.jobs.get(jobId);
    if (log === undefined) {
      log = { epoch: 0, generation: 0, batches: new Map(), ranges: new Map(), replays: new Map(), superseded: new Map() };
      this.jobs.set(jobId, log);
    }
    return log;
  }

  async acquireEpoch(jobId: string): Promise<number> {
    const log = this.job(jobId);
    log.epoch += 1;
    return log.epoch;
  }

  async currentEpoch(jobId: string): Promise<number | null> {
    const epoch = this.jobs.get(jobId)?.epoch ?? 0;
    return epoch === 0 ? null : epoch;
  }

  async putPlan(plan: BatchPlan): Promise<void> {
    const log = this.job(plan.jobId);
    if (log.epoch !== plan.epoch) {
      throw new ConcurrentDriverError(`driver epoch ${plan.epoch} is stale: another driver took job ${plan.jobId} (epoch ${log.epoch})`, {
        context: { jobId: plan.jobId, batchId: plan.batchId, epoch: plan.epoch },
      });
    }
    if (generationOf(plan) < log.generation) throw replayUnfinishedError(plan, log.generation);
    if (log.batches.has(plan.batchId)) {
      throw new ConcurrentDriverError(`batch ${plan.batchId} of job ${plan.jobId} was planned by another driver`, {
        context: { jobId: plan.jobId, batchId: plan.batchId, epoch: plan.epoch },
      });
    }
    log.batches.set(plan.batchId, clone(encodeBatchRecord({ plan, status: BatchStatus.PLANNED })));
  }

  async getBatch(jobId: string, batchId: number): Promise<BatchRecord | null> {
    return this.readBatch(jobId, batchId);
  }

  async getLatestBatch(jobId: string): Promise<BatchRecord | null> {
    const batches = this.jobs.get(jobId)?.batches;
    if (batches === undefined || batches.size === 0) return null;
    return this.readBatch(jobId, Math.max(...batches.keys()));
  }

  async listBatches(jobId: string, options: { fromBatchId?: number; limit?: number } = {}): Promise<BatchRecord[]> {
    const from = options.fromBatchId ?? 0;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const batches = [...(this.jobs.get(jobId)?.batches ?? [])].filter(([id]) => id >= from).sort(([a], [b]) => a - b);
    return batches.slice(0, limit).map(([id, stored]) => decode(jobId, id, stored));
  }

  async recordRangeEnd(jobId: string, batchId: number, partition: string, end: RecordedRangeEnd): Promise<RecordedRangeEnd> {
    const ranges = this.job(jobId).ranges;
    const key = rangeKey(batchId, partition);
    const existing = ranges.get(key);
    if (existing !== undefined) return clone(existing);
    ranges.set(key, clone(end));
    return clone(end);
  }

  async getRangeEnd(jobId: string, batchId: number, partition: string): Promise<RecordedRangeEnd | null> {
    const end = this.jobs.get(jobId)?.ranges.get(rangeKey(batchId, partition));
    return end === undefined ? null : clone(end);
  }

  async commitBatch(jobId: string, commit: BatchCommit): Promise<'committed' | 'already-committed'> {
    const log = this.job(jobId);
    const record = this.readBatch(jobId, commit.batchId);
    if (record === null) {
      throw new NotFoundError(`batch ${commit.batchId} of job ${jobId} was never planned`, {
        context: { jobId, batchId: commit.batchId },
      });
    }
    if (record.status === BatchStatus.COMMITTED) return 'already-committed';
    if (log.epoch !== commit.epoch) {
      throw new ConcurrentDriverError(`driver epoch ${commit.epoch} is stale: another driver took job ${jobId} (epoch ${log.epoch})`, {
        context: { jobId, batchId: commit.batchId, epoch: commit.epoch },
      });
    }
    // The commit goes into the stored record, which keeps the format version it was created with.
    const stored = log.batches.get(commit.batchId) as Record<string, unknown>;
    log.batches.set(commit.batchId, clone({ ...stored, status: BatchStatus.COMMITTED, commit }));
    return 'committed';
  }

  async deleteBatchesBelow(jobId: string, batchId: number): Promise<number> {
    const log = this.jobs.get(jobId);
    if (log === undefined) return 0;
    let deleted = 0;
    for (const id of [...log.batches.keys()]) {
      if (id < batchId) {
        log.batches.delete(id);
        deleted += 1;
      }
    }
    for (const key of [...log.ranges.keys()]) {
      if (Number(key.split('#', 1)[0]) < batchId) log.ranges.delete(key);
    }
    return deleted;
  }

  async beginReplay(record: ReplayRecord): Promise<void> {
    const log = this.job(record.jobId);
    const context = { jobId: record.jobId, generation: record.generation, epoch: record.epoch };
    if (log.epoch !== record.epoch) {
      throw new ConcurrentDriverError(
        `replay epoch ${record.epoch} is stale: another driver or replay took job ${record.jobId} (epoch ${log.epoch})`,
        { context },
      );
    }
    if (record.generation <= log.generation || log.replays.has(record.generation)) {
      throw new ConcurrentDriverError(
        `generation ${record.generation} of job ${record.jobId} is taken: the job is at generation ${log.generation}`,
        { context },
      );
    }
    log.generation = record.generation;
    log.replays.set(record.generation, clone(record));
  }

  async finishReplay(jobId: string, generation: number, finishedAt: number): Promise<void> {
    const replay = this.jobs.get(jobId)?.replays.get(generation);
    if (replay === undefined) {
      throw new NotFoundError(`job ${jobId} has no replay of generation ${generation}`, { context: { jobId, generation } });
    }
    if (replay.finishedAt === null) this.job(jobId).replays.set(generation, { ...replay, finishedAt });
  }

  async listReplays(jobId: string): Promise<ReplayRecord[]> {
    const replays = [...(this.jobs.get(jobId)?.replays.values() ?? [])];
    return clone(replays.sort((a, b) => a.generation - b.generation));
  }

  async supersedeBatchesAbove(jobId: string, batchId: number, generation: number): Promise<number> {
    const log = this.jobs.get(jobId);
    if (log === undefined) return 0;
    let archive = log.superseded.get(generation);
    if (archive === undefined) {
      archive = new Map();
      log.superseded.set(generation, archive);
    }
    let moved = 0;
    for (const [id, stored] of [...log.batches]) {
      if (id <= batchId || generationOf(decode(jobId, id, stored).plan) >= generation) continue;
      const rangeEnds: Record<string, RecordedRangeEnd> = {};
      for (const [key, end] of [...log.ranges]) {
        const [keyBatch, partition] = splitRangeKey(key);
        if (keyBatch !== id) continue;
        rangeEnds[partition] = end;
        log.ranges.delete(key);
      }
      if (!archive.has(id)) archive.set(id, clone({ record: stored, rangeEnds }));
      log.batches.delete(id);
      moved += 1;
    }
    return moved;
  }

  async listSupersededBatches(jobId: string, generation: number): Promise<SupersededBatch[]> {
    const archive = this.jobs.get(jobId)?.superseded.get(generation);
    if (archive === undefined) return [];
    return [...archive]
      .sort(([a], [b]) => a - b)
      .map(([batchId, { record, rangeEnds }]) => ({ record: decode(jobId, batchId, record), rangeEnds: clone(rangeEnds) }));
  }

  /**
   * Stores a batch record exactly as given, bypassing every rule of the log: what code
   * of another format wrote (tests of the stored format; DynamoDB items are written
   * directly). Reads decode it like any other record.
   */
  putStoredBatch(jobId: string, batchId: number, stored: unknown): void {
    this.job(jobId).batches.set(batchId, clone(stored));
  }

  /** A batch record as stored, undecoded; null when there is none. */
  getStoredBatch(jobId: string, batchId: number): unknown {
    const stored = this.jobs.get(jobId)?.batches.get(batchId);
    return stored === undefined ? null : clone(stored);
  }

  private readBatch(jobId: string, batchId: number): BatchRecord | null {
    const stored = this.jobs.get(jobId)?.batches.get(batchId);
    return stored === undefined ? null : decode(jobId, batchId, stored);
  }
}

/** A stored batch record, decoded into the current format (batch-record-format.ts), as a copy. */
function decode(jobId: string, batchId: number, stored: unknown): BatchRecord {
  return decodeBatchRecord(clone(stored), { jobId, batchId });
}

function splitRangeKey(key: string): [number, string] {
  const at = key.indexOf('#');
  return [Number(key.slice(0, at)), key.slice(at + 1)];
}

function rangeKey(batchId: number, partition: string): string {
  return `${batchId}#${partition}`;
}

/** Records cross a serialisation boundary on AWS; copying here keeps callers from sharing objects. */
function clone<T>(value: T): T {
  return structuredClone(value);
}

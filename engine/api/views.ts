/**
 * What the jobs API returns: JSON views of a job instance (its control record, and for
 * one job its progress from the write-ahead log), of its batches and of its dead letters.
 * Pure functions of the records read: times are ISO 8601 strings, durations milliseconds.
 */
import { ENGINE_PARAMETERS, ENGINE_PARAMETER_PREFIX } from '../driver/catalog.js';
import { isParked } from '../driver/job-control.js';
import type { JsonValue } from '../json.js';
import type { DeadLetter } from '../ports/dead-letter-queue.js';
import type { ExecutionStatus } from '../ports/driver-executions.js';
import type { JobError, JobInstance, JobState, TriggerSettings } from '../ports/job-registry.js';
import { BatchStatus, generationOf, type BatchRecord } from '../protocol/batch-records.js';
import { describeStart } from '../protocol/offsets.js';
import type { StartingPositionRequest } from './requests.js';

export interface JobSummary {
  readonly jobId: string;
  readonly jobName: string;
  readonly state: JobState;
  /** Why the job is STOPPED or FAILED. */
  readonly reason: string | null;
  /** The catalog parameters (the engine's own, below, left out). */
  readonly parameters: Readonly<Record<string, JsonValue>>;
  /** Where the instance started (null: the job definition's own). */
  readonly startingPosition: StartingPositionRequest | null;
  /** The rate limit (null: the job definition's own, or, when it sets none, its trigger's default: engine/job/rate-limit.ts). */
  readonly maxRecordsPerPartition: number | null;
  /** null: the job definition's own. */
  readonly trigger: TriggerSettings | null;
  /** The newest driver generation that began (execution `<jobId>-<generation>`), and its WAL epoch. */
  readonly generation: number;
  readonly epoch: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly stopRequestedAt: string | null;
}

export interface PartitionView {
  readonly partition: string;
  /** Where its next batch starts. */
  readonly next: string;
  /** How far behind the tail of the partition the last read ended (Kinesis: MillisBehindLatest), if known. */
  readonly lagMs: number | null;
  readonly caughtUp: boolean;
  /**
   * The state version holding the partition's state after the last committed batch; 0
   * when the job's state lives in key groups (JobStatus.keyGroups has their versions).
   */
  readonly stateVersion: number;
}

/** A key group's state after a committed batch, for a job whose state lives in key groups (docs/design/key-groups.md). */
export interface KeyGroupView {
  readonly group: number;
  /** The state version holding the group's state. */
  readonly stateVersion: number;
  readonly rows: number;
  /** The watermark at which the group next has a window to evict or emit (null: none). */
  readonly dueAtWatermark: string | null;
  /** When the group next has a processing-time timer or a state TTL due (ISO time), or null. */
  readonly dueAt: string | null;
}

/** A batch's key groups: their number, and the groups whose state the batch wrote. */
export interface BatchKeyGroupsView {
  readonly count: number;
  /** Key groups holding state after the batch (null until committed). */
  readonly withState: number | null;
  /** The groups whose state this batch wrote (a new version), each with the version it built on. */
  readonly written: readonly {
    readonly group: number;
    readonly baseStateVersion: number;
    readonly stateVersion: number;
    readonly rows: number;
  }[];
}

export interface BatchSummary {
  readonly batchId: number;
  readonly status: BatchStatus;
  /** The replay generation (0 until a replay; engine/replay). */
  readonly generation: number;
  readonly plannedAt: string;
  readonly committedAt: string | null;
  readonly watermark: string | null;
  readonly records: number | null;
  readonly durationMs: number | null;
  readonly outputRows: number | null;
  readonly deadLetters: number | null;
  readonly lateRecords: number | null;
  readonly lagMs: number | null;
}

export interface BatchView extends BatchSummary {
  readonly partitions: readonly {
    readonly partition: string;
    readonly start: string;
    /** Records read (null until committed). */
    readonly records: number | null;
    readonly lagMs: number | null;
    /** The partition's state version after the batch (null until committed; 0 when state lives in key groups). */
    readonly stateVersion: number | null;
  }[];
  /** For a batch whose state lives in key groups (it ran in two stages); null when it lives per partition. */
  readonly keyGroups: BatchKeyGroupsView | null;
}

export interface JobStatus extends JobSummary {
  /** The driver execution of the current (or just launched) generation, and its status on Step Functions. */
  readonly driver: { readonly execution: string | null; readonly status: ExecutionStatus | null };
  /**
   * A RUNNING job whose driver parked after an idle spell (no execution runs; the next
   * generation starts when its source has data: docs/cost.md): since when, the generation
   * that parked and the last committed batch. Null when not parked.
   */
  readonly parked: { readonly since: string; readonly generation: number; readonly batchId: number } | null;
  /** The newest batch in the write-ahead log, committed or in flight. */
  readonly latestBatch: { readonly batchId: number; readonly status: BatchStatus } | null;
  /**
   * The rate limit the newest batch was planned with, records per partition: the
   * instance's, the job's, or the default for the trigger the instance runs with
   * (engine/job/rate-limit.ts). Null before the first plan.
   */
  readonly plannedRateLimit: number | null;
  readonly lastCommittedBatch: BatchSummary | null;
  /** The event-time watermark of the newest batch. */
  readonly watermark: string | null;
  readonly lag: { readonly maxMs: number | null; readonly partitions: readonly PartitionView[] };
  /** Over the last committed batches: records arriving per second (between batch starts), and processed per second of batch time. */
  readonly rates: {
    readonly inputRecordsPerSecond: number | null;
    readonly processedRecordsPerSecond: number | null;
    readonly batches: number;
  };
  /** Rows of state (every partition or key group) after the last committed batch, and the bytes of state that batch wrote (`sluice checkpoints list` has every version's size). */
  readonly stateSize: { readonly rows: number | null; readonly bytesWritten: number | null };
  /**
   * Where the job's keyed state lives after the last committed batch, when it lives in
   * key groups: their number and each group holding state (ascending). Null when it lives
   * per partition (lag.partitions has each partition's version), or before a commit.
   */
  readonly keyGroups: { readonly count: number; readonly groups: readonly KeyGroupView[] } | null;
  /** Restarts by the supervisor within its window. */
  readonly restarts: {
    readonly count: number;
    readonly recent: readonly { readonly at: string; readonly generation: number; readonly reason: string }[];
  };
  readonly lastError: (Omit<JobError, 'at'> & { readonly at: string }) | null;
  /** The instance began from this committed batch of another instance. */
  readonly startedFrom: { readonly jobId: string; readonly batchId: number } | null;
}

/** A record that could not be processed (engine/ports/dead-letter-queue.ts). */
export interface DeadLetterView {
  readonly partition: string;
  readonly offset: string;
  readonly batchId: number;
  /** The pipeline stage that failed: decode, map, filter, flatMap, keyBy, eventTime, aggregate, output, sink. */
  readonly stage: string;
  readonly reason: string;
  readonly recordedAt: string;
  /** For stage sink: the key of the row the sink could not take (the offset is then its range's last). */
  readonly rowKey?: string;
  /** The record's bytes, base64, cut to a few KB. */
  readonly payloadBase64: string;
  /** The same bytes as text, when they are printable UTF-8 (payloadTextOf). */
  readonly payloadText?: string;
}

export function jobSummaryOf(job: JobInstance): JobSummary {
  const own: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(job.parameters)) if (!name.startsWith(ENGINE_PARAMETER_PREFIX)) own[name] = value;
  const rate = job.parameters[ENGINE_PARAMETERS.maxRecordsPerPartition];
  return {
    jobId: job.jobId,
    jobName: job.jobName,
    state: job.state,
    reason: job.reason,
    parameters: own,
    startingPosition: startingPositionOf(job),
    maxRecordsPerPartition: typeof rate === 'number' ? rate : null,
    trigger: job.trigger,
    generation: job.generation,
    epoch: job.epoch,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    stopRequestedAt: job.stopRequestedAt === null ? null : iso(job.stopRequestedAt),
  };
}

/**
 * The status of one job: its control record, the driver execution's status, and its
 * progress from the newest batches of the write-ahead log (`recent`: id order, the newest last).
 */
export function jobStatusOf(args: {
  readonly job: JobInstance;
  readonly execution: string | null;
  readonly executionStatus: ExecutionStatus | null;
  readonly recent: readonly BatchRecord[];
}): JobStatus {
  const { job, recent } = args;
  const latest = recent[recent.length - 1] ?? null;
  const committed = recent.filter((r) => r.status === BatchStatus.COMMITTED && r.commit !== undefined);
  const last = committed[committed.length - 1] ?? null;
  const partitions: PartitionView[] = Object.entries(last?.commit?.partitions ?? {})
    .filter(([, p]) => !p.end.closed)
    .map(([partition, p]) => ({
      partition,
      next: describeStart(p.nextStart),
      lagMs: p.lagMs,
      caughtUp: p.caughtUp,
      stateVersion: p.stateVersion,
    }))
    .sort((a, b) => a.partition.localeCompare(b.partition));
  return {
    ...jobSummaryOf(job),
    driver: { execution: args.execution, status: args.executionStatus },
    parked: isParked(job) ? { since: iso(job.parked.at), generation: job.parked.generation, batchId: job.parked.batchId } : null,
    latestBatch: latest === null ? null : { batchId: latest.plan.batchId, status: latest.status },
    plannedRateLimit: latest?.plan.partitions[0]?.maxRecords ?? null,
    lastCommittedBatch: last === null ? null : batchSummaryOf(last),
    watermark: latest?.plan.watermarkMs == null ? null : iso(latest.plan.watermarkMs),
    lag: { maxMs: last?.commit?.metrics.lagMs ?? null, partitions },
    rates: ratesOf(committed),
    stateSize: { rows: last?.commit?.metrics.stateRows ?? null, bytesWritten: last?.commit?.metrics.stateBytesWritten ?? null },
    keyGroups: last === null ? null : keyGroupsOf(last),
    restarts: {
      count: job.restarts.length,
      recent: job.restarts.map((r) => ({ at: iso(r.at), generation: r.generation, reason: r.reason })),
    },
    lastError: job.lastError === null ? null : { ...job.lastError, at: iso(job.lastError.at) },
    startedFrom: job.start?.fromCheckpoint ?? null,
  };
}

export function batchSummaryOf(record: BatchRecord): BatchSummary {
  const m = record.commit?.metrics;
  return {
    batchId: record.plan.batchId,
    status: record.status,
    generation: generationOf(record.plan),
    plannedAt: iso(record.plan.plannedAt),
    committedAt: record.commit === undefined ? null : iso(record.commit.committedAt),
    watermark: record.plan.watermarkMs === null ? null : iso(record.plan.watermarkMs),
    records: m?.records ?? null,
    durationMs: m?.durationMs ?? null,
    outputRows: m?.outputRows ?? null,
    deadLetters: m?.deadLetters ?? null,
    lateRecords: m?.lateRecords ?? null,
    lagMs: m?.lagMs ?? null,
  };
}

export function batchViewOf(record: BatchRecord): BatchView {
  return {
    ...batchSummaryOf(record),
    partitions: record.plan.partitions.map((p) => {
      const done = record.commit?.partitions[p.partition];
      return {
        partition: p.partition,
        start: describeStart(p.start),
        records: done?.end.count ?? null,
        lagMs: done?.lagMs ?? null,
        stateVersion: done?.stateVersion ?? null,
      };
    }),
    keyGroups: batchKeyGroupsOf(record),
  };
}

/** The key groups of a committed batch whose state lives in them; null otherwise. */
function keyGroupsOf(record: BatchRecord): JobStatus['keyGroups'] {
  if (record.plan.keyGroups === undefined) return null;
  const groups = Object.entries(record.commit?.groups ?? {})
    .map(([group, g]) => ({
      group: Number(group),
      stateVersion: g.version,
      rows: g.rows,
      dueAtWatermark: g.dueAtWatermarkMs === undefined ? null : iso(g.dueAtWatermarkMs),
      dueAt: g.dueAtMs === undefined ? null : iso(g.dueAtMs),
    }))
    .sort((a, b) => a.group - b.group);
  return { count: record.plan.keyGroups, groups };
}

/** A batch's key groups: the groups whose version is the batch's own were written by it. */
function batchKeyGroupsOf(record: BatchRecord): BatchKeyGroupsView | null {
  if (record.plan.keyGroups === undefined) return null;
  const after = record.commit?.groups;
  const written = Object.entries(after ?? {})
    .filter(([, g]) => g.version === record.plan.batchId)
    .map(([group, g]) => ({
      group: Number(group),
      baseStateVersion: record.plan.groups?.[group]?.version ?? 0,
      stateVersion: g.version,
      rows: g.rows,
    }))
    .sort((a, b) => a.group - b.group);
  return { count: record.plan.keyGroups, withState: after === undefined ? null : Object.keys(after).length, written };
}

export function deadLetterViewOf(letter: DeadLetter): DeadLetterView {
  const text = payloadTextOf(letter.payloadBase64);
  return {
    partition: letter.partition,
    offset: letter.offset,
    batchId: letter.batchId,
    stage: letter.stage,
    reason: letter.reason,
    recordedAt: iso(letter.recordedAt),
    ...(letter.rowKey === undefined ? {} : { rowKey: letter.rowKey }),
    payloadBase64: letter.payloadBase64,
    ...(text === null ? {} : { payloadText: text }),
  };
}

/** Control characters (C0, DEL, C1) but tab, line feed and carriage return. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: this pattern exists to find control characters
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/**
 * A payload as text, so that an operator reads a bad JSON record without decoding it:
 * its bytes as UTF-8 when they are valid UTF-8 with no control characters but tab and
 * line breaks; null for anything else (binary records, or text cut within a character).
 */
export function payloadTextOf(payloadBase64: string): string | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(payloadBase64, 'base64'));
  } catch {
    return null;
  }
  return CONTROL_CHARACTERS.test(text) ? null : text;
}

/** Input rate between the first and last batch start; processing rate over the batches' own durations. */
function ratesOf(committed: readonly BatchRecord[]): JobStatus['rates'] {
  const records = committed.map((r) => r.commit!.metrics.records);
  const busyMs = committed.reduce((sum, r) => sum + r.commit!.metrics.durationMs, 0);
  const total = records.reduce((a, b) => a + b, 0);
  const first = committed[0];
  const last = committed[committed.length - 1];
  const spanMs = first !== undefined && last !== undefined ? last.plan.plannedAt - first.plan.plannedAt : 0;
  return {
    // Records of every batch after the first arrived between the first batch's start and the last's.
    inputRecordsPerSecond: committed.length < 2 || spanMs <= 0 ? null : round((total - records[0]!) / (spanMs / 1000)),
    processedRecordsPerSecond: busyMs <= 0 ? null : round(total / (busyMs / 1000)),
    batches: committed.length,
  };
}

function startingPositionOf(job: JobInstance): StartingPositionRequest | null {
  const from = job.start?.fromCheckpoint;
  if (from) return { type: 'checkpoint', jobId: from.jobId, batchId: from.batchId };
  const value = job.parameters[ENGINE_PARAMETERS.startingPosition];
  if (value === 'EARLIEST') return { type: 'earliest' };
  if (value === 'LATEST') return { type: 'latest' };
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.timestamp === 'number') {
    return { type: 'timestamp', timestamp: value.timestamp };
  }
  return null;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

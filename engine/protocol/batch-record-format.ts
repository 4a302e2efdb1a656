/**
 * How a batch record (batch-records.ts) is stored in the write-ahead log, and read back:
 * the one decoder both WAL adapters call on every read of a batch record.
 *
 * Format rules (as Spark's offset log writes its version first and checks it on read):
 *   - Every batch record written carries `formatVersion`, WAL_FORMAT_VERSION of the code
 *     that created it (encodeBatchRecord, at putPlan). The commit of the batch is written
 *     into the same record by code that has read it, so it keeps that version.
 *   - Every read decodes the stored record (decodeBatchRecord): its shape is checked
 *     field by field, with no field unknown to the version (a writer that adds a field
 *     raises the version), and a PLANNED record has no commit while a COMMITTED one has.
 *   - A record without `formatVersion` was written before format versions existed: it is
 *     read in the shape of version 1, and upgraded by filling the fields older code did
 *     not write with what their absence meant (upgradeUnversioned, each default there).
 *   - A version above WAL_FORMAT_VERSION was written by newer code, and a record that
 *     does not have the shape of its version is damaged: both are refused with a
 *     StateCorruptionError (not retryable: reading it again gives the same bytes) naming
 *     the job, the batch and what is wrong. Nothing guesses at a record it cannot read:
 *     recovery replays exactly what the WAL says, so a misread record would be replayed
 *     wrong.
 *   - A change to the stored shape raises WAL_FORMAT_VERSION and adds, here, the upgrade
 *     of the previous version to the new one; the decoded record is always the current
 *     shape, so no code after the decoder knows about older formats.
 *
 * Decoding runs on every WAL read, in the driver's and the executors' hot path: one
 * zod parse of a record of a few partitions costs microseconds
 * (test/unit/protocol/batch-record-format.test.ts measures it).
 */
import { z } from 'zod';
import { StateCorruptionError } from '../errors.js';
import {
  BatchStatus,
  type BatchCommit,
  type BatchMetrics,
  type BatchPlan,
  type BatchRecord,
  type GroupState,
  type InheritedState,
  type PartitionCommit,
  type PartitionPlan,
} from './batch-records.js';
import type { RangeEnd, StartPosition } from './offsets.js';

/**
 * The format of the batch records this code writes, and the newest it reads.
 *   1  keyed state per source partition.
 *   2  adds key groups: a plan's `keyGroups` and `groups`, a commit's `groups`
 *      (batch-records.ts). A version-1 record has neither and reads back as it was:
 *      their absence means "every partition is its own state scope", the layout
 *      version 1 wrote, so a running job keeps working (and moves to key groups only
 *      through a replay that regroups its state).
 *   3  adds a plan's `stateShape`, the fingerprint of the job's state shape
 *      (engine/job/state-shape.ts). A version-1 or -2 record has none and reads back as
 *      it was: its absence means "written before fingerprints", which no check refuses.
 *   4  the shape of version 3; the DynamoDB adapter stores the plan and the commit
 *      gzip'd (engine/adapters/aws/dynamodb-wal-items.ts, `planZ` and `commitZ`), so a
 *      committed batch item is about a third of its size. The version is raised so that
 *      an engine that reads only plain attributes refuses such an item as newer instead
 *      of calling it damaged, and does not commit into it. A version-3 item reads back as
 *      it was, and a commit into one is stored gzip'd beside its plain plan.
 */
export const WAL_FORMAT_VERSION = 4;

/** A batch record as the WAL stores it. */
export type StoredBatchRecord = BatchRecord & { readonly formatVersion: number };

/** Where a record was read from, for the error that refuses it. */
export interface BatchRecordLocation {
  readonly jobId: string;
  readonly batchId: number;
}

/** The record to store for `record`: the record itself, in the current format. */
export function encodeBatchRecord(record: BatchRecord): StoredBatchRecord {
  return { formatVersion: WAL_FORMAT_VERSION, ...record };
}

// ── The shape of format version 1 (and of records written before versions) ───────────

const int = z.int();
const offset = z.string();
const versionsByPartition = z.record(z.string(), int);

const startPosition = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('EARLIEST') }),
  z.strictObject({ type: z.literal('AT_TIMESTAMP'), timestamp: z.number() }),
  z.strictObject({ type: z.literal('AFTER'), offset }),
  z.strictObject({ type: z.literal('AT_OFFSET'), offset }),
]);

const rangeEnd = z.strictObject({
  count: int,
  lastOffset: offset.optional(),
  closed: z.boolean().optional(),
  startedAt: offset.optional(),
  cutBefore: offset.optional(),
});

const inheritedState = z.strictObject({ partition: z.string(), stateVersion: int, jobVersion: int.optional() });

const partitionPlan = z.strictObject({
  partition: z.string(),
  start: startPosition,
  maxRecords: int,
  baseStateVersion: int,
  endBefore: offset.optional(),
  endIsTail: z.boolean().optional(),
  maxBytes: int.optional(),
  skipped: z.strictObject({ from: offset, to: offset }).optional(),
  inherits: z.array(inheritedState).optional(),
  hashKeyRange: z.strictObject({ start: z.string(), end: z.string() }).optional(),
  closed: z.literal(true).optional(),
});

const batchPlanV1 = z.strictObject({
  jobId: z.string(),
  batchId: int,
  epoch: int,
  plannedAt: z.number(),
  watermarkMs: z.number().nullable(),
  maxEventTimeMs: z.number().nullable(),
  partitions: z.array(partitionPlan),
  startingPosition: startPosition,
  finished: versionsByPartition,
  handedOver: versionsByPartition.optional(),
  finishedJobVersions: versionsByPartition.optional(),
  jobVersion: int.optional(),
  migrateFromVersion: int.optional(),
  generation: int.optional(),
});

const partitionCommit = z.strictObject({
  end: rangeEnd,
  nextStart: startPosition,
  stateVersion: int,
  caughtUp: z.boolean(),
  lagMs: z.number().nullable(),
});

const batchMetrics = z.strictObject({
  records: int,
  skippedOffsets: int,
  outputRows: int,
  deadLetters: int,
  lateRecords: int,
  stateRows: int,
  stateBytesWritten: int,
  durationMs: z.number(),
  lagMs: z.number().nullable(),
});

const batchCommitV1 = z.strictObject({
  batchId: int,
  epoch: int,
  committedAt: z.number(),
  maxEventTimeMs: z.number().nullable(),
  partitions: z.record(z.string(), partitionCommit),
  metrics: batchMetrics,
});

// ── Format version 2: key groups ────────────────────────────────────────────────────

const groupState = z.strictObject({ version: int, rows: int, dueAtWatermarkMs: z.number().optional(), dueAtMs: z.number().optional() });
const groupsByKeyGroup = z.record(z.string().regex(/^\d+$/), groupState);
const batchPlanV2 = batchPlanV1.extend({ keyGroups: int.optional(), groups: groupsByKeyGroup.optional() });
const batchCommit = batchCommitV1.extend({ groups: groupsByKeyGroup.optional() });

// ── Format version 3: the state shape's fingerprint ─────────────────────────────────

const batchPlan = batchPlanV2.extend({ stateShape: z.string().optional() });

/** Version 1 (or none: written before versions), checked field by field as it was. */
const storedV1 = z.discriminatedUnion('status', [
  z.strictObject({ formatVersion: z.literal(1).optional(), status: z.literal(BatchStatus.PLANNED), plan: batchPlanV1 }),
  z.strictObject({
    formatVersion: z.literal(1).optional(),
    status: z.literal(BatchStatus.COMMITTED),
    plan: batchPlanV1,
    commit: batchCommitV1,
  }),
]);

const storedV2 = z.discriminatedUnion('status', [
  z.strictObject({ formatVersion: z.literal(2), status: z.literal(BatchStatus.PLANNED), plan: batchPlanV2 }),
  z.strictObject({ formatVersion: z.literal(2), status: z.literal(BatchStatus.COMMITTED), plan: batchPlanV2, commit: batchCommit }),
]);

/** Versions 3 and 4 (the same shape; 4 only changes how the DynamoDB adapter stores it). */
const storedV3 = z.discriminatedUnion('status', [
  z.strictObject({ formatVersion: z.union([z.literal(3), z.literal(4)]), status: z.literal(BatchStatus.PLANNED), plan: batchPlan }),
  z.strictObject({
    formatVersion: z.union([z.literal(3), z.literal(4)]),
    status: z.literal(BatchStatus.COMMITTED),
    plan: batchPlan,
    commit: batchCommit,
  }),
]);

// The schemas and the types of batch-records.ts cannot drift apart: these fail to compile
// when a field is added to, or removed from, one and not the other.
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemasMatchTypes: [
  SameKeys<z.output<typeof batchPlan>, BatchPlan>,
  SameKeys<z.output<typeof partitionPlan>, PartitionPlan>,
  SameKeys<z.output<typeof inheritedState>, InheritedState>,
  SameKeys<z.output<typeof batchCommit>, BatchCommit>,
  SameKeys<z.output<typeof partitionCommit>, PartitionCommit>,
  SameKeys<z.output<typeof groupState>, GroupState>,
  SameKeys<z.output<typeof batchMetrics>, BatchMetrics>,
  SameKeys<z.output<typeof rangeEnd>, RangeEnd>,
  Same<z.output<typeof startPosition>, StartPosition>,
] = [true, true, true, true, true, true, true, true, true];
void schemasMatchTypes;

// ── Reading ────────────────────────────────────────────────────────────────────────

/**
 * The record stored at `where`, in the current format. Throws StateCorruptionError when
 * it was written by a newer format, or does not have the shape of its format.
 */
export function decodeBatchRecord(stored: unknown, where: BatchRecordLocation): BatchRecord {
  const version = typeof stored === 'object' && stored !== null ? (stored as { formatVersion?: unknown }).formatVersion : undefined;
  if (version !== undefined && version !== 1 && version !== 2 && version !== 3 && version !== WAL_FORMAT_VERSION) {
    if (typeof version === 'number' && Number.isSafeInteger(version) && version > WAL_FORMAT_VERSION) {
      throw new StateCorruptionError(
        `job ${where.jobId}: batch ${where.batchId} of the write-ahead log has format version ${version}, and this ` +
          `code reads versions up to ${WAL_FORMAT_VERSION}: it was written by a newer release of Sluice. ` +
          `Deploy that release (or a later one) again to run the job`,
        { context: { jobId: where.jobId, batchId: where.batchId, formatVersion: version, readsUpTo: WAL_FORMAT_VERSION } },
      );
    }
    throw malformed(where, `its format version ${JSON.stringify(version)} is not a version`);
  }
  const parsed =
    version === 3 || version === WAL_FORMAT_VERSION
      ? storedV3.safeParse(stored)
      : version === 2
        ? storedV2.safeParse(stored)
        : storedV1.safeParse(stored);
  if (!parsed.success) throw malformed(where, describeIssues(parsed.error));
  const { plan, status } = parsed.data;
  const record: BatchRecord =
    parsed.data.status === BatchStatus.COMMITTED ? { plan, status, commit: parsed.data.commit } : { plan, status };
  // Versions 1 to 3 need no upgrade to 4: no key groups, no fingerprint is what they meant (see WAL_FORMAT_VERSION).
  return version === undefined ? upgradeUnversioned(record) : record;
}

/**
 * A record written before format versions, in the current format: each field older
 * code did not write is filled with what its absence meant, which is what the code
 * reading those plans has always assumed. A field present is kept as it is.
 */
function upgradeUnversioned(record: BatchRecord): BatchRecord {
  const { plan } = record;
  return {
    ...record,
    plan: {
      ...plan,
      // No replay had run: the plan belongs to the job's first replay generation, 0.
      generation: plan.generation ?? 0,
      // No hand-over was recorded: retention keeps every finished partition's state, as
      // it does for partitions not handed over yet.
      handedOver: plan.handedOver ?? {},
      // No finished partition's version was recorded: a child inherits its parents'
      // state without a migration, as it did then.
      finishedJobVersions: plan.finishedJobVersions ?? {},
      // jobVersion stays absent: a plan written before job versions were recorded has no
      // version to fill, and its absence is what exempts it from the version checks
      // (job-versions.ts). migrateFromVersion is absent when no migration applies.
    },
  };
}

function malformed(where: BatchRecordLocation, what: string): StateCorruptionError {
  return new StateCorruptionError(`job ${where.jobId}: batch ${where.batchId} of the write-ahead log is malformed: ${what}`, {
    context: { jobId: where.jobId, batchId: where.batchId },
  });
}

/** The first few problems zod found, each as `path: message`. */
function describeIssues(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : 'the record'}: ${issue.message}`);
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
}

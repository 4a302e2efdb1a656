/**
 * The jobs API's requests, as schemas (engine/api/schema.ts): what each route accepts and
 * the typed value the operations in engine/api/jobs.ts get. A bad request is a 400 that
 * names every bad field.
 */
import { ENGINE_PARAMETER_PREFIX } from '../driver/catalog.js';
import type { JsonValue } from '../json.js';
import { JobState, type TriggerSettings } from '../ports/job-registry.js';
import { BadRequestError } from './errors.js';
import { integer, integerString, jsonMap, object, oneOf, optional, parse, refine, select, show, string, type Schema } from './schema.js';

/** Job ids name WAL items and driver executions (engine/driver/job-control.ts checkJobId). */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/;
const JOB_ID_HINT = "1 to 60 letters, digits, '-' or '_', starting with a letter or digit";
/** Catalog parameters cross every state of the driver: kept small (job-control.ts checks the same). */
const MAX_PARAMETER_BYTES = 4_096;
/** Kinesis returns at most 10,000 records per GetRecords; a batch may read several. */
const MAX_RECORDS_PER_PARTITION = 1_000_000;

export const jobId: Schema<string> = string({ min: 1, max: 60, pattern: JOB_ID, hint: JOB_ID_HINT });

/** Where a new job instance starts. */
export type StartingPositionRequest =
  | { readonly type: 'earliest' }
  | { readonly type: 'latest' }
  /** Epoch milliseconds (given as a number or an ISO 8601 time). */
  | { readonly type: 'timestamp'; readonly timestamp: number }
  /** Another instance's committed batch (null: its latest committed batch): its state and offsets after it. */
  | { readonly type: 'checkpoint'; readonly jobId: string; readonly batchId: number | null };

const timestamp: Schema<number> = select((value) => {
  if (typeof value === 'number') return integer({ min: 0 });
  if (typeof value === 'string') {
    return (raw: unknown, field, problems) => {
      const ms = Date.parse(raw as string);
      if (!/^\d{4}-\d\d-\d\dT/.test(raw as string) || Number.isNaN(ms)) {
        problems.push({ field, message: `must be an ISO 8601 time (2026-01-31T12:00:00Z) or epoch milliseconds, got ${show(raw)}` });
        return undefined;
      }
      return ms;
    };
  }
  return `must be an ISO 8601 time (2026-01-31T12:00:00Z) or epoch milliseconds, got ${show(value)}`;
});

const POSITION_TYPES = ['earliest', 'latest', 'timestamp', 'checkpoint'] as const;

export const startingPosition: Schema<StartingPositionRequest> = select<StartingPositionRequest>((value) => {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'earliest' || lower === 'latest') return () => ({ type: lower });
    return `must be "earliest", "latest" or an object with a type (${POSITION_TYPES.join(', ')}), got ${show(value)}`;
  }
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  switch (type) {
    case 'earliest':
    case 'latest':
      return object({ type: oneOf(type) });
    case 'timestamp':
      return object({ type: oneOf('timestamp'), timestamp });
    case 'checkpoint': {
      const checkpoint = object({ type: oneOf('checkpoint'), jobId, batchId: optional(integer({ min: 1 })) });
      return (raw, field, problems) => {
        const out = checkpoint(raw, field, problems);
        return out === undefined ? undefined : { type: 'checkpoint', jobId: out.jobId, batchId: out.batchId ?? null };
      };
    }
    default:
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? `.type must be one of ${POSITION_TYPES.map((t) => JSON.stringify(t)).join(', ')}, got ${show(type)}`
        : `must be "earliest", "latest" or an object with a type (${POSITION_TYPES.join(', ')}), got ${show(value)}`;
  }
});

export const trigger: Schema<TriggerSettings> = select<TriggerSettings>((value) => {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (type === 'availableNow') return object({ type: oneOf('availableNow') });
  if (type === 'interval') {
    const interval = object({
      type: oneOf('interval'),
      intervalMs: integer({ min: 1, max: 86_400_000 }),
      maxIdleIntervalMs: optional(integer({ min: 1, max: 86_400_000 })),
    });
    return refine(interval, (t) =>
      t.maxIdleIntervalMs !== undefined && t.maxIdleIntervalMs < t.intervalMs
        ? { field: 'maxIdleIntervalMs', message: `must be ≥ intervalMs (${t.intervalMs}), got ${t.maxIdleIntervalMs}` }
        : null,
    ) as Schema<TriggerSettings>;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `must be { "type": "interval", "intervalMs": ... } or { "type": "availableNow" }, got ${show(value)}`;
  }
  return `.type must be "interval" or "availableNow", got ${show(type)}`;
});

const parameterName: Schema<string> = (value, field, problems) => {
  const name = value as string;
  if (name.startsWith(ENGINE_PARAMETER_PREFIX)) {
    problems.push({ field, message: `is reserved for the engine (use the request's startingPosition and maxRecordsPerPartition fields)` });
    return undefined;
  }
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    problems.push({ field, message: 'is not a parameter name (a letter, then up to 63 letters, digits, _ . -)' });
    return undefined;
  }
  return name;
};

const token: Schema<string> = string({ min: 1, max: 128, pattern: /^[A-Za-z0-9._:-]+$/, hint: '1 to 128 of A-Z a-z 0-9 . _ : -' });
const rateLimit = integer({ min: 1, max: MAX_RECORDS_PER_PARTITION });

const StartJobBody = object({
  jobName: string({ min: 1, max: 100 }),
  jobId: optional(jobId),
  parameters: optional(jsonMap({ keys: parameterName, maxBytes: MAX_PARAMETER_BYTES })),
  trigger: optional(trigger),
  maxRecordsPerPartition: optional(rateLimit),
  startingPosition: optional(startingPosition),
  idempotencyToken: optional(token),
});

export interface StartJobInput {
  /** The job in the catalog (jobs/catalog.ts). */
  readonly jobName: string;
  /** The instance's id; defaults to the job name. */
  readonly jobId: string;
  readonly parameters: Readonly<Record<string, JsonValue>>;
  /** null: the job definition's own. */
  readonly trigger: TriggerSettings | null;
  /** The rate limit; null: the job definition's own. */
  readonly maxRecordsPerPartition: number | null;
  /** null: the job definition's own. */
  readonly startingPosition: StartingPositionRequest | null;
  readonly idempotencyToken: string | null;
}

/** POST /jobs */
export function parseStartJob(body: unknown): StartJobInput {
  const b = parse(StartJobBody, body);
  return {
    jobName: b.jobName,
    jobId: b.jobId ?? defaultJobId(b.jobName),
    parameters: b.parameters ?? {},
    trigger: b.trigger ?? null,
    maxRecordsPerPartition: b.maxRecordsPerPartition ?? null,
    startingPosition: b.startingPosition ?? null,
    idempotencyToken: b.idempotencyToken ?? null,
  };
}

function defaultJobId(jobName: string): string {
  if (!JOB_ID.test(jobName)) {
    throw BadRequestError.of([{ field: 'jobId', message: `is required: the job name ${show(jobName)} is not a job id (${JOB_ID_HINT})` }]);
  }
  return jobName;
}

const ResumeJobBody = object({
  trigger: optional(trigger),
  maxRecordsPerPartition: optional(rateLimit),
  idempotencyToken: optional(token),
});

export interface ResumeJobInput {
  /** null: keep the instance's. */
  readonly trigger: TriggerSettings | null;
  /** null: keep the instance's. */
  readonly maxRecordsPerPartition: number | null;
  readonly idempotencyToken: string | null;
}

/** POST /jobs/{jobId}/resume (the body is optional). */
export function parseResumeJob(body: unknown): ResumeJobInput {
  const b = parse(ResumeJobBody, body ?? {});
  return { trigger: b.trigger ?? null, maxRecordsPerPartition: b.maxRecordsPerPartition ?? null, idempotencyToken: b.idempotencyToken ?? null };
}

/** Items per page of the paged routes (batches, dead letters). */
export const MAX_PAGE = 100;
export const DEFAULT_BATCH_PAGE = 20;
export const DEFAULT_DEAD_LETTER_PAGE = 25;

const pageSize = optional(integerString({ min: 1, max: MAX_PAGE }));

const BatchesQuery = object({
  limit: pageSize,
  nextToken: optional(string({ min: 1, max: 200 })),
});

/** GET /jobs/{jobId}/batches?limit=&nextToken= */
export function parseListBatches(query: Readonly<Record<string, string | undefined>>): { limit: number; nextToken: string | null } {
  const q = parse(BatchesQuery, definedOnly(query), 'query');
  return { limit: q.limit ?? DEFAULT_BATCH_PAGE, nextToken: q.nextToken ?? null };
}

const DeadLettersQuery = object({
  limit: pageSize,
  // The token holds a letter's id: partition, offset and a sink row's key (up to DynamoDB's 1 KiB sort key).
  nextToken: optional(string({ min: 1, max: 4_096 })),
  partition: optional(string({ min: 1, max: 256 })),
});

export interface ListDeadLettersInput {
  readonly limit: number;
  readonly nextToken: string | null;
  /** null: every partition's. */
  readonly partition: string | null;
}

/** GET /jobs/{jobId}/dead-letters?limit=&nextToken=&partition= */
export function parseListDeadLetters(query: Readonly<Record<string, string | undefined>>): ListDeadLettersInput {
  const q = parse(DeadLettersQuery, definedOnly(query), 'query');
  return { limit: q.limit ?? DEFAULT_DEAD_LETTER_PAGE, nextToken: q.nextToken ?? null, partition: q.partition ?? null };
}

const JobsQuery = object({ state: optional(oneOf(...Object.values(JobState))) });

/** GET /jobs?state= */
export function parseListJobs(query: Readonly<Record<string, string | undefined>>): { state: JobState | null } {
  const q = parse(JobsQuery, definedOnly(query), 'query');
  return { state: q.state ?? null };
}

/** A job id from the path. */
export function parseJobId(value: unknown): string {
  return parse(jobId, value, 'jobId');
}

function definedOnly(query: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
}

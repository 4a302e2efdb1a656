/**
 * The jobs API's requests, as zod schemas: what each route accepts and the typed value the
 * operations in engine/api/jobs.ts get. A bad request is a 400 that names every bad field
 * (up to engine/validation.ts's MAX_PROBLEMS), in the words of engine/validation.ts:
 * "trigger.intervalMs must be an integer from 1 to 86400000, got -5". Unknown fields are
 * refused (a typo such as `maxRecordsPerPartiton` fails instead of being ignored).
 */
import { z } from 'zod';
import { ENGINE_PARAMETER_PREFIX } from '../driver/catalog.js';
import type { JsonValue } from '../json.js';
import { JobState, type TriggerSettings } from '../ports/job-registry.js';
import { MAX_EPOCH_MS, parseIsoTime } from '../timestamps.js';
import { check, expecting, jsonObject, show, type Subject } from '../validation.js';
import { BadRequestError } from './errors.js';

/** Job ids name WAL items and driver executions (engine/driver/job-control.ts checkJobId). */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/;
const JOB_ID_HINT = "1 to 60 letters, digits, '-' or '_', starting with a letter or digit";
/** Catalog parameters cross every state of the driver: kept small (job-control.ts checks the same). */
const MAX_PARAMETER_BYTES = 4_096;
/** Kinesis returns at most 10,000 records per GetRecords; a batch may read several. */
const MAX_RECORDS_PER_PARTITION = 1_000_000;
const DAY_MS = 86_400_000;

const BODY: Subject = { name: 'body', absent: 'nothing', missing: 'is required' };
const QUERY: Subject = { ...BODY, name: 'query' };

/** The typed request, or a 400 naming its problems. */
function parseRequest<S extends z.ZodType>(schema: S, value: unknown, subject: Subject): z.output<S> {
  const checked = check(schema, value, subject);
  if (checked.ok) return checked.value;
  const first = checked.problems[0] ?? { field: subject.name, message: 'is invalid' };
  const more = checked.total - 1;
  return badRequest(
    `${first.field} ${first.message}${more > 0 ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : ''}`,
    checked.problems,
  );
}

function badRequest(message: string, fields: BadRequestError['fields']): never {
  throw new BadRequestError(message, fields);
}

/** A body or query: a JSON object with these fields and no others. */
function body<S extends z.ZodRawShape>(shape: S) {
  return expecting('a JSON object', z.strictObject(shape));
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return expecting(range, z.number().int().min(min).max(max));
}

/** An integer given as a decimal string (a query string parameter); anything else is shown as it came. */
function integerString(min: number, max: number) {
  return z.preprocess((value) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value), integer(min, max));
}

/** A string of `min` to `max` characters (a bad length shows the length, not the string), matching `pattern` if given. */
function text(min: number, max: number, pattern?: { readonly regex: RegExp; readonly hint: string }) {
  const length = min === max ? `${min} characters` : `${min} to ${max} characters`;
  const schema = z
    .string({
      error: (issue) => {
        // Not a string, or not there: the default words ("must be a string", "is required").
        if (typeof issue.input !== 'string') return undefined;
        // The checks' issues (length, pattern) come here too: z.string()'s own error is their fallback.
        const code: string = issue.code;
        if (code === 'invalid_format') return `must be ${pattern?.hint ?? 'a valid string'}, got ${show(issue.input)}`;
        return `must be ${length}, got ${issue.input.length}`;
      },
    })
    .min(min)
    .max(max);
  return pattern === undefined ? schema : schema.regex(pattern.regex);
}

export const jobId = text(1, 60, { regex: JOB_ID, hint: JOB_ID_HINT });

const ISO_TIME = 'an ISO 8601 time (2026-01-31T12:00:00Z) or epoch milliseconds';

/**
 * Epoch milliseconds, given as a number (0 to MAX_EPOCH_MS) or an ISO 8601 time with a
 * zone whose fields are a calendar time (engine/timestamps.ts: 2026-02-30 is refused, not
 * rolled over to March 2).
 */
const timestamp = expecting(
  ISO_TIME,
  z.union([
    integer(0, MAX_EPOCH_MS),
    z.string().transform((t, ctx) => {
      const parsed = parseIsoTime(t);
      if ('ms' in parsed) return parsed.ms;
      ctx.addIssue({ code: 'custom', message: `must be ${ISO_TIME}: ${show(t)} ${parsed.problem}`, input: t });
      return z.NEVER;
    }),
  ]),
);

const POSITION_TYPES = ['earliest', 'latest', 'timestamp', 'checkpoint'] as const;

/** Where a new job instance starts: "earliest", "latest" (any case), or an object with a type. */
export const startingPosition = z.preprocess(
  (value) => (typeof value === 'string' && /^(earliest|latest)$/i.test(value) ? { type: value.toLowerCase() } : value),
  expecting(
    `"earliest", "latest" or an object with a type (${POSITION_TYPES.join(', ')})`,
    z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('earliest') }),
      z.strictObject({ type: z.literal('latest') }),
      z.strictObject({ type: z.literal('timestamp'), timestamp }),
      /** Another instance's committed batch (none: its latest committed batch): its state and offsets after it. */
      z.strictObject({ type: z.literal('checkpoint'), jobId, batchId: integer(1).optional() }),
    ]),
  ).transform((p) => (p.type === 'checkpoint' ? { type: p.type, jobId: p.jobId, batchId: p.batchId ?? null } : p)),
);

export type StartingPositionRequest = z.output<typeof startingPosition>;

export const trigger: z.ZodType<TriggerSettings> = expecting(
  '{ "type": "interval", "intervalMs": ... } or { "type": "availableNow" }',
  z.discriminatedUnion('type', [
    z
      .strictObject({ type: z.literal('interval'), intervalMs: integer(1, DAY_MS), maxIdleIntervalMs: integer(1, DAY_MS).optional() })
      .refine((t) => !(typeof t.maxIdleIntervalMs === 'number' && typeof t.intervalMs === 'number' && t.maxIdleIntervalMs < t.intervalMs), {
        path: ['maxIdleIntervalMs'],
        error: (issue) => {
          const t = issue.input as { intervalMs: number; maxIdleIntervalMs: number };
          return `must be ≥ intervalMs (${t.intervalMs}), got ${t.maxIdleIntervalMs}`;
        },
      }),
    z.strictObject({ type: z.literal('availableNow') }),
  ]),
);

/** Catalog parameters: the job's own (never the engine's), as small JSON. */
const parameters = jsonObject(MAX_PARAMETER_BYTES, {
  nameProblem: (name) =>
    name.startsWith(ENGINE_PARAMETER_PREFIX)
      ? "is reserved for the engine (use the request's startingPosition and maxRecordsPerPartition fields)"
      : /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(name)
        ? null
        : 'is not a parameter name (a letter, then up to 63 letters, digits, _ . -)',
});

const token = text(1, 128, { regex: /^[A-Za-z0-9._:-]+$/, hint: '1 to 128 of A-Z a-z 0-9 . _ : -' });
const rateLimit = integer(1, MAX_RECORDS_PER_PARTITION);

const StartJobBody = body({
  jobName: text(1, 100),
  jobId: jobId.optional(),
  parameters: parameters.optional(),
  trigger: trigger.optional(),
  maxRecordsPerPartition: rateLimit.optional(),
  startingPosition: startingPosition.optional(),
  idempotencyToken: token.optional(),
  force: expecting('true or false', z.boolean()).optional(),
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
  /**
   * Take the job's sinks over from the stopped or failed instance that owns them
   * (engine/driver/sink-ownership.ts); without it, a sink another instance owns is a 409.
   */
  readonly force?: boolean;
}

/** POST /jobs */
export function parseStartJob(body: unknown): StartJobInput {
  const b = parseRequest(StartJobBody, body, BODY);
  return {
    jobName: b.jobName,
    jobId: b.jobId ?? defaultJobId(b.jobName),
    parameters: b.parameters ?? {},
    trigger: b.trigger ?? null,
    maxRecordsPerPartition: b.maxRecordsPerPartition ?? null,
    startingPosition: b.startingPosition ?? null,
    idempotencyToken: b.idempotencyToken ?? null,
    force: b.force ?? false,
  };
}

function defaultJobId(jobName: string): string {
  if (!JOB_ID.test(jobName)) {
    const message = `is required: the job name ${show(jobName)} is not a job id (${JOB_ID_HINT})`;
    badRequest(`jobId ${message}`, [{ field: 'jobId', message }]);
  }
  return jobName;
}

const ResumeJobBody = body({
  trigger: trigger.optional(),
  maxRecordsPerPartition: rateLimit.optional(),
  idempotencyToken: token.optional(),
  force: expecting('true or false', z.boolean()).optional(),
});

export interface ResumeJobInput {
  /** null: keep the instance's. */
  readonly trigger: TriggerSettings | null;
  /** null: keep the instance's. */
  readonly maxRecordsPerPartition: number | null;
  readonly idempotencyToken: string | null;
  /** Take the job's sinks back from the stopped or failed instance that owns them now. */
  readonly force?: boolean;
}

/** POST /jobs/{jobId}/resume (the body is optional; a JSON `null` is a body, and not an object: 400). */
export function parseResumeJob(body: unknown): ResumeJobInput {
  const b = parseRequest(ResumeJobBody, body === undefined ? {} : body, BODY);
  return {
    trigger: b.trigger ?? null,
    maxRecordsPerPartition: b.maxRecordsPerPartition ?? null,
    idempotencyToken: b.idempotencyToken ?? null,
    force: b.force ?? false,
  };
}

/** Items per page of the paged routes (batches, dead letters). */
export const MAX_PAGE = 100;
export const DEFAULT_BATCH_PAGE = 20;
export const DEFAULT_DEAD_LETTER_PAGE = 25;

const pageSize = integerString(1, MAX_PAGE).optional();

const BatchesQuery = body({
  limit: pageSize,
  nextToken: text(1, 200).optional(),
});

type Query = Readonly<Record<string, string | undefined>>;

/** GET /jobs/{jobId}/batches?limit=&nextToken= */
export function parseListBatches(query: Query): { limit: number; nextToken: string | null } {
  const q = parseRequest(BatchesQuery, definedOnly(query), QUERY);
  return { limit: q.limit ?? DEFAULT_BATCH_PAGE, nextToken: q.nextToken ?? null };
}

const DeadLettersQuery = body({
  limit: pageSize,
  // The token holds a letter's id: partition, offset and a sink row's key (up to DynamoDB's 1 KiB sort key).
  nextToken: text(1, 4_096).optional(),
  partition: text(1, 256).optional(),
});

export interface ListDeadLettersInput {
  readonly limit: number;
  readonly nextToken: string | null;
  /** null: every partition's. */
  readonly partition: string | null;
}

/** GET /jobs/{jobId}/dead-letters?limit=&nextToken=&partition= */
export function parseListDeadLetters(query: Query): ListDeadLettersInput {
  const q = parseRequest(DeadLettersQuery, definedOnly(query), QUERY);
  return { limit: q.limit ?? DEFAULT_DEAD_LETTER_PAGE, nextToken: q.nextToken ?? null, partition: q.partition ?? null };
}

/** Rows per page of GET /jobs/{jobId}/results. */
export const MAX_RESULTS_PAGE = 1_000;
export const DEFAULT_RESULTS_PAGE = 100;

const ResultsQuery = body({
  limit: integerString(1, MAX_RESULTS_PAGE).optional(),
  // The token holds the sink's position: a DynamoDB key (up to 2 KiB) or a committed file's path.
  nextToken: text(1, 8_192).optional(),
});

/** GET /jobs/{jobId}/results?limit=&nextToken= */
export function parseListResults(query: Query): { limit: number; nextToken: string | null } {
  const q = parseRequest(ResultsQuery, definedOnly(query), QUERY);
  return { limit: q.limit ?? DEFAULT_RESULTS_PAGE, nextToken: q.nextToken ?? null };
}

const JOB_STATES = Object.values(JobState);
const JobsQuery = body({
  state: expecting(`one of ${JOB_STATES.map((s) => JSON.stringify(s)).join(', ')}`, z.enum(JOB_STATES)).optional(),
});

/** GET /jobs?state= */
export function parseListJobs(query: Query): { state: JobState | null } {
  const q = parseRequest(JobsQuery, definedOnly(query), QUERY);
  return { state: q.state ?? null };
}

/** A job id from the path. */
export function parseJobId(value: unknown): string {
  return parseRequest(jobId, value, { ...BODY, name: 'jobId' });
}

function definedOnly(query: Query): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
}

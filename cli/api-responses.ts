/**
 * What each `sluice jobs` command reads of the jobs API's answers (engine/api/views.ts),
 * as zod schemas: a 2xx answer that does not match is not the jobs API's (an --endpoint
 * that names some other server, a proxy's page, an API of another version), and is
 * refused with one line naming the first field that is wrong, instead of a TypeError
 * when the text is printed. The schemas are loose: fields the command does not read pass
 * through unchecked (and --json prints them as the API sent them).
 */
import { z } from 'zod';

const text = z.string();
const count = z.number();
const time = z.string();

const trigger = z
  .union([
    z.looseObject({ type: z.literal('availableNow') }),
    z.looseObject({ type: z.literal('interval'), intervalMs: count, maxIdleIntervalMs: count.optional() }),
  ])
  .nullable();

const startingPosition = z
  .union([
    z.looseObject({ type: z.enum(['earliest', 'latest']) }),
    z.looseObject({ type: z.literal('timestamp'), timestamp: z.union([count, text]) }),
    z.looseObject({ type: z.literal('checkpoint'), jobId: text, batchId: count.nullable().optional() }),
  ])
  .nullable();

const jobSummary = z.looseObject({
  jobId: text,
  jobName: text,
  state: text,
  reason: text.nullable(),
  parameters: z.record(z.string(), z.unknown()),
  startingPosition,
  maxRecordsPerPartition: count.nullable(),
  trigger,
  generation: count,
  epoch: count.nullable(),
  updatedAt: time,
});

const batchSummary = z.looseObject({
  batchId: count,
  status: text,
  committedAt: time.nullable(),
  watermark: time.nullable(),
  records: count.nullable(),
  durationMs: count.nullable(),
  outputRows: count.nullable(),
  deadLetters: count.nullable(),
  lateRecords: count.nullable(),
  lagMs: count.nullable(),
});

export const jobListSchema = z.looseObject({ jobs: z.array(jobSummary) });

export const startedJobSchema = z.looseObject({
  job: jobSummary,
  execution: text,
  alreadyStarted: z.boolean(),
  sinksTakenOver: z.array(z.looseObject({ description: text, fromJobId: text })).optional(),
});

export const stoppedJobSchema = z.looseObject({ job: jobSummary });

export const jobStatusSchema = jobSummary.extend({
  driver: z.looseObject({ execution: text.nullable(), status: text.nullable() }),
  latestBatch: z.looseObject({ batchId: count, status: text }).nullable(),
  plannedRateLimit: count.nullable().optional(),
  lastCommittedBatch: batchSummary.nullable(),
  watermark: time.nullable(),
  lag: z.looseObject({
    maxMs: count.nullable(),
    partitions: z.array(
      z.looseObject({ partition: text, next: text, lagMs: count.nullable(), caughtUp: z.boolean(), stateVersion: count }),
    ),
  }),
  rates: z.looseObject({ inputRecordsPerSecond: count.nullable(), processedRecordsPerSecond: count.nullable(), batches: count }),
  stateSize: z.looseObject({ rows: count.nullable(), bytesWritten: count.nullable() }),
  keyGroups: z
    .looseObject({
      count,
      groups: z.array(
        z.looseObject({ group: count, stateVersion: count, rows: count, dueAtWatermark: time.nullable(), dueAt: time.nullable() }),
      ),
    })
    .nullable(),
  restarts: z.looseObject({ count, recent: z.array(z.looseObject({ at: time, generation: count, reason: text })) }),
  lastError: z.looseObject({ at: time, generation: count, error: text, cause: text }).nullable(),
  startedFrom: z.looseObject({ jobId: text, batchId: count }).nullable(),
});

const nextToken = text.nullable();

export const batchPageSchema = z.looseObject({
  batches: z.array(batchSummary.extend({ keyGroups: z.looseObject({ count, written: z.array(z.unknown()) }).nullable() })),
  nextToken,
});

export const deadLetterPageSchema = z.looseObject({
  deadLetters: z.array(z.looseObject({ partition: text, offset: text, batchId: count, stage: text, reason: text, recordedAt: time })),
  nextToken,
});

export const resultsPageSchema = z.looseObject({
  sink: z.looseObject({ type: text, name: text }),
  rows: z.array(z.looseObject({ key: text, value: z.unknown(), batchId: count, generation: count })),
  nextToken,
});

/**
 * Null when the answer matches; else the first problem, as `field.path: what` (the
 * answer's root is "the answer").
 */
export function responseProblem(schema: z.ZodType, body: unknown): string | null {
  const parsed = schema.safeParse(body);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length === 0 ? 'the answer' : issue.path.map(String).join('.');
  return `${path}: ${issue.message}`;
}

import { JobSpecError } from '../errors.js';
import type { SinkSpec } from '../ports/sink.js';
import { checkKeyGroups, DEFAULT_KEY_GROUPS } from '../protocol/key-groups.js';
import { compilePipeline } from './compile.js';
import { checkSource } from './connectors.js';
import { checkOutputs } from './outputs.js';
import type { SourceRecord } from '../ports/source-reader.js';
import { compileDecode, type DecodeName } from './decode.js';
import { defaultRecordsPerPartition } from './rate-limit.js';
import { requireFunction, requireObject, requirePositiveInteger, show, specError } from './spec-checks.js';
import { stateShapeFingerprint } from './state-shape.js';
import { planOf, rootStream, type PipelineEnd, type Stream } from './stream.js';
import type {
  CheckpointSettings,
  CompiledPipeline,
  DeadLetterLimit,
  JobDefinition,
  JobSource,
  KeyedBy,
  OutputMode,
  StateMigration,
  Trigger,
} from './types.js';

/** What a user writes; `defineJob` validates it and fills in the defaults. */
/**
 * The pipeline's input: a string for 'utf8', else what the decode function returns, or
 * `any` for JSON. (Not distributive: when `decode` is a function, TypeScript leaves N
 * at its constraint 'json' | 'utf8', which must not mean string.)
 */
export type PipelineInputOf<T, N> = [N] extends ['utf8'] ? string : T;

/**
 * `T` is what a decode function returns and `N` a named decoder; both are inferred from
 * `decode` (TypeScript infers it before it types the pipeline function's parameter).
 */
// biome-ignore lint/suspicious/noExplicitAny: T is inferred from decode; any is the default before inference, as in the DOM typings
export interface JobSpec<T = any, N extends DecodeName = 'json'> {
  /** Lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters. */
  readonly name: string;
  /** A positive integer; bump it when the pipeline's state or output changes meaning. */
  readonly version: number;
  readonly source: JobSource;
  /** How record bytes become the pipeline's input: 'json' (default), 'utf8' or a function. */
  readonly decode?: N | ((record: SourceRecord) => T);
  /** Builds the pipeline from the stream of decoded values; called once, by defineJob. */
  readonly pipeline: (input: Stream<PipelineInputOf<T, N>>) => PipelineEnd;
  /** Where the job's rows go: a sink, or several, each receiving every row (engine/job/outputs.ts). */
  readonly sink: SinkSpec | readonly SinkSpec[];
  /**
   * Named side outputs: a row a process function emits with `{ output: name }` goes to
   * this output's sinks instead of the job's (engine/job/outputs.ts).
   */
  readonly outputs?: { readonly [name: string]: { readonly sink: SinkSpec | readonly SinkSpec[] } };
  /** A copy of every dead letter as a row of this sink, besides the dead-letter table. */
  readonly deadLetters?: { readonly sink: SinkSpec };
  /**
   * The dead-letter ratio guard: a batch of at least `minRecords` records (default 100)
   * that dead-letters more than `maxRatio` of them (default 0.5) fails the job, with the
   * reason, once the batch is committed. On by default; `false` turns it off.
   */
  readonly deadLetterLimit?: Partial<DeadLetterLimit> | false;
  /** Default 'update'. */
  readonly outputMode?: OutputMode;
  /** Default { type: 'interval', intervalMs: 1000 }. */
  readonly trigger?: Trigger;
  /**
   * The most records read from one partition in one batch: a rate limit, as Spark's
   * maxOffsetsPerTrigger. Default: what a Kinesis shard serves in one trigger interval,
   * 10,000 to 40,000 (engine/job/rate-limit.ts); 40,000 for an available-now job.
   */
  readonly maxRecordsPerPartition?: number;
  /** Default { snapshotEvery: 10, retainBatches: 100 }; either may be given alone. */
  readonly checkpoint?: Partial<CheckpointSettings>;
  /**
   * How this version converts the state older versions wrote, so that it can resume
   * their checkpoints (and a replay can start from them): at most one per older version.
   * Without one, resuming another version's checkpoint fails with JobSpecError.
   */
  readonly migrations?: readonly StateMigration[];
  /**
   * 'partitionKey' declares that keyBy's key is the records' partition key (the Kinesis
   * partition key, the Kafka message key), so a key's records all arrive on one partition
   * and its state can live there. Every record is checked: one whose key is not its
   * partition key goes to the dead letters (stage 'keyBy') instead of into a state another
   * partition may also hold. Only for keyed pipelines.
   */
  readonly keyedBy?: KeyedBy;
  /**
   * The number of key groups a keyed job's state lives in (docs/key-groups.md): each
   * batch then groups every key's values from all partitions in one place, whatever
   * partition they arrived on. Fixed for the life of the job's checkpoint; 1 to 256,
   * default 8. Only for keyed pipelines without keyedBy: 'partitionKey' (which keep their
   * state with each partition instead).
   */
  readonly keyGroups?: number;
  /**
   * A side output for late records (engine/job/lateness.ts): each record with a value too
   * late for the state it would update becomes a row of this sink, keyed
   * `${partition}:${offset}`, with its payload, arrival time, the late event time and the
   * batch's watermark. Without it late records are dropped and counted, as in Spark.
   * Only for pipelines with withWatermark (without a watermark nothing is late).
   */
  readonly lateRecords?: { readonly sink: SinkSpec };
}

const DEFAULT_TRIGGER = Object.freeze({ type: 'interval', intervalMs: 1000 } as const);

export const JOB_DEFAULTS = Object.freeze({
  decode: 'json',
  outputMode: 'update',
  trigger: DEFAULT_TRIGGER,
  /** At the default trigger; a job that sets none gets defaultRecordsPerPartition(its trigger). */
  maxRecordsPerPartition: defaultRecordsPerPartition(DEFAULT_TRIGGER),
  checkpoint: Object.freeze({ snapshotEvery: 10, retainBatches: 100 }),
  /**
   * More than half of a batch dead-lettered is no longer a few bad records: it is a bug,
   * a changed input format or a state the code misreads, and every later batch would do
   * the same while the job looks healthy. 100 records keep a small batch's few bad
   * records (or a test's) from failing a job.
   */
  deadLetterLimit: Object.freeze({ maxRatio: 0.5, minRecords: 100 }),
} as const);

/** What a job name may be (defineJob checks it; the jobs API and `sluice new job` too). */
export const JOB_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const FIELDS = new Set(['name', 'version', 'source', 'decode', 'pipeline', 'sink', 'outputMode', 'trigger']);
FIELDS.add('maxRecordsPerPartition').add('checkpoint').add('migrations').add('keyedBy').add('keyGroups').add('lateRecords');
FIELDS.add('outputs').add('deadLetters').add('deadLetterLimit');

/**
 * Validates a job and returns its frozen JobDefinition. Every problem is a JobSpecError
 * naming the field and what is wrong with it, prefixed with the job's name once known.
 * The pipeline function is called here, once, to build and compile the pipeline.
 */
// biome-ignore lint/suspicious/noExplicitAny: see JobSpec
export function defineJob<T = any, N extends DecodeName = 'json'>(spec: JobSpec<T, N>): JobDefinition {
  const fields = requireObject('defineJob()', spec);
  const name = fields.name;
  if (typeof name !== 'string' || !JOB_NAME.test(name)) {
    const rule = "must be 1-63 lower-case letters, digits or '-', starting with a letter or digit";
    throw specError('name', `${rule}, got ${show(name)}`);
  }
  try {
    return buildJob(fields, name);
  } catch (error) {
    if (!(error instanceof JobSpecError)) throw error;
    throw new JobSpecError(`job ${name}: ${error.message}`, { cause: error, context: { ...error.context, job: name } });
  }
}

function buildJob(fields: Record<string, unknown>, name: string): JobDefinition {
  for (const key of Object.keys(fields)) {
    if (!FIELDS.has(key)) throw specError(key, `is not a job field (known fields: ${[...FIELDS].join(', ')})`);
  }
  const version = requirePositiveInteger('version', fields.version);
  const source = checkSource(fields.source, 'source');
  const decode = compileDecode(fields.decode);
  const outputMode = checkOutputMode(fields.outputMode ?? JOB_DEFAULTS.outputMode);
  const trigger = checkTrigger(fields.trigger ?? JOB_DEFAULTS.trigger);
  const rateLimitFromTrigger = fields.maxRecordsPerPartition === undefined || fields.maxRecordsPerPartition === null;
  const maxRecordsPerPartition = rateLimitFromTrigger
    ? defaultRecordsPerPartition(trigger)
    : requirePositiveInteger('maxRecordsPerPartition', fields.maxRecordsPerPartition);
  const checkpoint = checkCheckpoint(fields.checkpoint ?? {});
  const migrations = checkMigrations(fields.migrations ?? [], version);
  const deadLetterLimit = checkDeadLetterLimit(fields.deadLetterLimit ?? {});
  const build = requireFunction('pipeline', fields.pipeline) as (input: Stream<unknown>) => unknown;
  const root = Symbol(name);
  let end: unknown;
  try {
    end = build(rootStream(root));
  } catch (error) {
    if (error instanceof JobSpecError) {
      throw new JobSpecError(`pipeline: ${error.message}`, { cause: error, context: error.context });
    }
    const message = error instanceof Error ? error.message : show(error);
    throw specError('pipeline', `threw while building the pipeline: ${message}`);
  }
  const plan = planOf(end, root);
  const keyedBy = checkKeyedBy(fields.keyedBy, plan.keyBy !== undefined);
  const pipeline = compilePipeline(plan, decode, outputMode, keyedBy === undefined ? {} : { keyedBy });
  const keyGroups = checkJobKeyGroups(fields.keyGroups, pipeline, keyedBy);
  const { sinks, outputs, lateRecords, deadLetters } = checkOutputs(fields, pipeline);
  return Object.freeze({
    name,
    version,
    source,
    sink: sinks[0]!,
    sinks,
    outputs,
    deadLetterLimit,
    pipeline,
    stateShape: stateShapeFingerprint(plan),
    trigger,
    outputMode,
    maxRecordsPerPartition,
    ...(rateLimitFromTrigger ? { rateLimitFromTrigger: true as const } : {}),
    checkpoint,
    migrations,
    ...(keyedBy === undefined ? {} : { keyedBy }),
    ...(keyGroups === undefined ? {} : { keyGroups }),
    ...(lateRecords === undefined ? {} : { lateRecords }),
    ...(deadLetters === undefined ? {} : { deadLetters }),
  });
}

/**
 * The job's key groups: a pipeline that groups through the exchange has them (DEFAULT_KEY_GROUPS
 * unless it says otherwise), the others none.
 */
function checkJobKeyGroups(value: unknown, pipeline: CompiledPipeline, keyedBy: KeyedBy | undefined): number | undefined {
  if (value === undefined) return pipeline.exchange === undefined ? undefined : DEFAULT_KEY_GROUPS;
  if (pipeline.exchange === undefined) {
    const why =
      keyedBy === 'partitionKey'
        ? "this job declares keyedBy: 'partitionKey', so its state lives with each partition"
        : 'this pipeline keeps no keyed state (it has no keyBy().aggregate())';
    throw specError('keyGroups', `sets the key groups keyed state lives in, but ${why}`);
  }
  return checkKeyGroups(value, 'keyGroups');
}

function checkOutputMode(value: unknown): OutputMode {
  if (value === 'update' || value === 'append') return value;
  throw specError('outputMode', `must be 'update' or 'append', got ${show(value)}`);
}

function checkTrigger(value: unknown): Trigger {
  const trigger = requireObject('trigger', value);
  if (trigger.type === 'availableNow') return Object.freeze({ type: 'availableNow' });
  if (trigger.type === 'interval') {
    const intervalMs = requirePositiveInteger('trigger.intervalMs', trigger.intervalMs);
    return Object.freeze({ type: 'interval', intervalMs });
  }
  throw specError('trigger.type', `must be 'interval' or 'availableNow', got ${show(trigger.type)}`);
}

function checkMigrations(value: unknown, version: number): readonly StateMigration[] {
  if (!Array.isArray(value)) throw specError('migrations', `must be an array, got ${show(value)}`);
  const seen = new Set<number>();
  const migrations = value.map((item: unknown, i) => {
    const field = `migrations[${i}]`;
    const migration = requireObject(field, item);
    for (const key of Object.keys(migration)) {
      if (key !== 'fromVersion' && key !== 'state') throw specError(`${field}.${key}`, 'is not a migration field (fromVersion, state)');
    }
    const fromVersion = requirePositiveInteger(`${field}.fromVersion`, migration.fromVersion);
    if (fromVersion === version) throw specError(`${field}.fromVersion`, `must differ from the job's own version ${version}`);
    if (seen.has(fromVersion)) throw specError(`${field}.fromVersion`, `repeats version ${fromVersion}: one migration per version`);
    seen.add(fromVersion);
    const state = requireFunction(`${field}.state`, migration.state) as StateMigration['state'];
    return Object.freeze({ fromVersion, state });
  });
  return Object.freeze(migrations);
}

/** The dead-letter ratio guard: the defaults, with what the job sets; null when it sets false. */
function checkDeadLetterLimit(value: unknown): DeadLetterLimit | null {
  if (value === false) return null;
  const limit = requireObject('deadLetterLimit', value);
  for (const key of Object.keys(limit)) {
    if (key !== 'maxRatio' && key !== 'minRecords') {
      throw specError(`deadLetterLimit.${key}`, 'is not a dead-letter limit setting (maxRatio, minRecords), or set deadLetterLimit: false');
    }
  }
  const maxRatio = limit.maxRatio ?? JOB_DEFAULTS.deadLetterLimit.maxRatio;
  if (typeof maxRatio !== 'number' || !(maxRatio > 0 && maxRatio <= 1)) {
    throw specError('deadLetterLimit.maxRatio', `must be a number in (0, 1] (0.5: half of a batch's records), got ${show(maxRatio)}`);
  }
  const minRecords = requirePositiveInteger('deadLetterLimit.minRecords', limit.minRecords ?? JOB_DEFAULTS.deadLetterLimit.minRecords);
  return Object.freeze({ maxRatio, minRecords });
}

function checkCheckpoint(value: unknown): CheckpointSettings {
  const checkpoint = requireObject('checkpoint', value);
  for (const key of Object.keys(checkpoint)) {
    if (key !== 'snapshotEvery' && key !== 'retainBatches') {
      throw specError(`checkpoint.${key}`, 'is not a checkpoint setting (snapshotEvery, retainBatches)');
    }
  }
  const { snapshotEvery, retainBatches } = JOB_DEFAULTS.checkpoint;
  return Object.freeze({
    snapshotEvery: requirePositiveInteger('checkpoint.snapshotEvery', checkpoint.snapshotEvery ?? snapshotEvery),
    retainBatches: requirePositiveInteger('checkpoint.retainBatches', checkpoint.retainBatches ?? retainBatches),
  });
}

/** The co-partitioning declaration: absent, or 'partitionKey' on a keyed pipeline. */
function checkKeyedBy(value: unknown, keyed: boolean): KeyedBy | undefined {
  if (value === undefined) return undefined;
  if (value !== 'partitionKey') throw specError('keyedBy', `must be 'partitionKey' or left out, got ${show(value)}`);
  if (!keyed) throw specError('keyedBy', 'declares how keyBy keys are partitioned, but this pipeline has no keyBy()');
  return value;
}

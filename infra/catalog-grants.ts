/**
 * What a deployment must grant so that the jobs of its catalog can run: each job's source
 * stream or topic, its sinks (the job's, its side outputs', its late records' and its
 * dead letters'), and its lookup tables. Pure: a catalog in, names out; the stack
 * (stacks/sluice-stack.ts) adds them to what its settings name (catalog-settings.ts).
 *
 * Which instances: a job is built with its default parameters (a job without parameters
 * as it is), or, when the deployment lists the parameter sets it starts the job with
 * (context sluice:jobParameters, `{ "<job>": [{ ...parameters }, ...] }`), with each of
 * those, and only those: `"<job>": []` says the deployment does not run that job. A job
 * that cannot be built with its defaults (a required parameter) and has no listed sets
 * fails synthesis naming the parameter; so does every target that cannot be granted (a
 * memory source or sink, a Kafka topic without a Kafka cluster). Nothing is silently left
 * ungranted: a job the stack synthesizes for does not fail later with AccessDenied.
 *
 * Not derived: user sinks (userSink: the job's own code, its own access) and instances
 * started with parameters the deployment does not list (list them).
 */
import { ConfigurationError } from '../engine/errors.js';
import type { JobCatalog, JobParameters } from '../engine/driver/catalog.js';
import { resolveJob } from '../engine/driver/catalog.js';
import { allSinksOf } from '../engine/job/outputs.js';
import type { JobDefinition } from '../engine/job/types.js';
import type { SinkSpec } from '../engine/ports/sink.js';

/** The context key of the parameter sets a deployment starts its jobs with. */
export const JOB_PARAMETERS_CONTEXT = 'sluice:jobParameters';

/** Per job, the parameter sets the deployment starts it with (absent: its defaults; empty: not run here). */
export type DeployedParameters = Readonly<Record<string, readonly JobParameters[]>>;

/** Names a deployment grants, each list without duplicates, in catalog order. */
export interface CatalogGrants {
  /** Kinesis streams the jobs read (the planner and stage 1 read them). */
  readonly sourceStreams: readonly string[];
  /** Kafka topics the jobs read. */
  readonly sourceTopics: readonly string[];
  /** DynamoDB tables of the jobs' sinks, side outputs and dead letters (both stages write). */
  readonly sinkTables: readonly string[];
  /** DynamoDB tables of the jobs' late records (stage 1 writes). */
  readonly lateRecordTables: readonly string[];
  /** Kinesis streams the jobs write (kinesisSink). */
  readonly sinkStreams: readonly string[];
  /** Kafka topics the jobs write (kafkaSink). */
  readonly sinkTopics: readonly string[];
  /** File sinks: `prefix` (the checkpoint bucket) or `s3://bucket/prefix`, as sluice:sinkFiles reads them. */
  readonly sinkFiles: readonly string[];
  /** DynamoDB tables the jobs' lookup stages read. */
  readonly lookupTables: readonly string[];
  /** The jobs whose targets these are, each as `<job>` or `<job> <parameters>`. */
  readonly instances: readonly string[];
}

export interface DeriveOptions {
  /** Parameter sets per job (context sluice:jobParameters). */
  readonly parameters?: DeployedParameters;
  /** Whether the deployment has a Kafka cluster (sluice:kafka, sources.kafka): without, a Kafka topic fails synthesis. */
  readonly kafka: boolean;
}

export function deriveCatalogGrants(catalog: JobCatalog, options: DeriveOptions): CatalogGrants {
  const given = options.parameters ?? {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(catalog, name)) {
      throw new ConfigurationError(
        `context ${JOB_PARAMETERS_CONTEXT} names job ${JSON.stringify(name)}, which is not in the catalog (known: ${Object.keys(catalog).sort().join(', ')})`,
      );
    }
  }
  const lists = {
    sourceStreams: new Set<string>(),
    sourceTopics: new Set<string>(),
    sinkTables: new Set<string>(),
    lateRecordTables: new Set<string>(),
    sinkStreams: new Set<string>(),
    sinkTopics: new Set<string>(),
    sinkFiles: new Set<string>(),
    lookupTables: new Set<string>(),
  };
  const instances: string[] = [];
  for (const name of Object.keys(catalog)) {
    const sets: readonly (JobParameters | undefined)[] = Object.hasOwn(given, name) ? given[name]! : [undefined];
    for (const parameters of sets) {
      const label = parameters === undefined ? `job ${name}` : `job ${name} with parameters ${JSON.stringify(parameters)}`;
      const job = buildJob(catalog, name, parameters);
      addTargets(job, label, options.kafka, lists);
      instances.push(parameters === undefined ? name : `${name} ${JSON.stringify(parameters)}`);
    }
  }
  return {
    sourceStreams: [...lists.sourceStreams],
    sourceTopics: [...lists.sourceTopics],
    sinkTables: [...lists.sinkTables],
    lateRecordTables: [...lists.lateRecordTables],
    sinkStreams: [...lists.sinkStreams],
    sinkTopics: [...lists.sinkTopics],
    sinkFiles: [...lists.sinkFiles],
    lookupTables: [...lists.lookupTables],
    instances,
  };
}

/** An entry is a catalogEntry({ ... }) or, for a job without parameters, the job definition itself. */
function isJobDefinition(entry: unknown): entry is JobDefinition {
  return typeof entry === 'object' && entry !== null && 'source' in entry;
}

function buildJob(catalog: JobCatalog, name: string, parameters: JobParameters | undefined): JobDefinition {
  const entry: unknown = catalog[name];
  if (isJobDefinition(entry)) {
    if (parameters !== undefined && Object.keys(parameters).length > 0) {
      throw new ConfigurationError(`context ${JOB_PARAMETERS_CONTEXT}: job ${name} takes no parameters, got ${JSON.stringify(parameters)}`);
    }
    return entry;
  }
  try {
    return resolveJob(catalog, name, parameters ?? {});
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint =
      parameters === undefined
        ? `: it cannot be built with its default parameters, so synthesis cannot tell what it reads and writes. List the parameters this deployment starts it with in context ${JOB_PARAMETERS_CONTEXT} ({ "${name}": [{ ... }] }), or [] when it does not run it`
        : '';
    throw new ConfigurationError(`cannot derive the grants of job ${name}${hint} (${reason})`, { cause: error });
  }
}

type Lists = { readonly [K in Exclude<keyof CatalogGrants, 'instances'>]: Set<string> };

function addTargets(job: JobDefinition, label: string, kafka: boolean, lists: Lists): void {
  const source = job.source.spec;
  if (source.type === 'kinesis') lists.sourceStreams.add(source.streamName);
  else if (source.type === 'kafka') {
    needKafka(kafka, label, `reads Kafka topic ${JSON.stringify(source.topic)}`);
    lists.sourceTopics.add(source.topic);
  } else {
    throw new ConfigurationError(
      `${label} reads a memory stream (${JSON.stringify(source.streamName)}): only the test harness has one; a deployed job reads kinesisSource() or kafkaSource()`,
    );
  }
  const lateSink = job.lateRecords?.sink;
  for (const sink of allSinksOf(job)) {
    // Late records are written by stage 1 only: a late-records table gets stage 1's grant alone.
    if (sink === lateSink && sink.type === 'dynamodb') lists.lateRecordTables.add(sink.tableName);
    else addSink(sink, label, kafka, lists);
  }
  for (const stage of job.pipeline.lookups?.stages ?? []) lists.lookupTables.add(stage.table.tableName);
}

function addSink(sink: SinkSpec, label: string, kafka: boolean, lists: Lists): void {
  switch (sink.type) {
    case 'dynamodb':
      lists.sinkTables.add(sink.tableName);
      return;
    case 'kinesis':
      lists.sinkStreams.add(sink.streamName);
      return;
    case 'kafka':
      needKafka(kafka, label, `writes Kafka topic ${JSON.stringify(sink.topic)}`);
      lists.sinkTopics.add(sink.topic);
      return;
    case 's3files':
      lists.sinkFiles.add(sink.bucket === undefined ? sink.prefix : `s3://${sink.bucket}/${sink.prefix}`);
      return;
    case 'user':
      // The job's own writer: it needs what its code does, which synthesis cannot see.
      return;
    case 'memory':
      throw new ConfigurationError(
        `${label} writes a memory sink (${JSON.stringify(sink.name)}): only the test harness has one; a deployed job writes a DynamoDB, Kinesis, Kafka, file or user sink`,
      );
  }
}

function needKafka(kafka: boolean, label: string, what: string): void {
  if (!kafka) {
    throw new ConfigurationError(
      `${label} ${what}, but the deployment has no Kafka cluster: give context sluice:kafka (or sources.kafka; docs/deploy.md, "Kafka (Amazon MSK)")`,
    );
  }
}

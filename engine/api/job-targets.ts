/**
 * What a start checks about the job's targets (engine/ports/job-targets.ts) before it
 * records a RUNNING instance:
 *
 *   refuseEngineTables    (before anything is written) a sink, late-records, dead-letters
 *                         or lookup table that is one of the engine's own tables, or a
 *                         file sink in the checkpoint bucket under the engine's own
 *                         prefixes (state, exchange, lookups): 400 naming it (a job
 *                         writing the WAL or the state would corrupt every job)
 *   requireTargets        (after prepareJob, which may create them locally) every target
 *                         the API can see is there: 404 naming each missing one, with
 *                         what to do; a target it cannot see is left to the driver
 */
import { allSinksOf } from '../job/outputs.js';
import type { JobDefinition } from '../job/types.js';
import { describeTarget, type JobTarget, type JobTargets } from '../ports/job-targets.js';
import type { SinkSpec } from '../ports/sink.js';
import type { SourceSpec } from '../ports/source-reader.js';
import { EXCHANGE_PREFIX } from '../protocol/exchange-format.js';
import { LOOKUP_PREFIX } from '../protocol/lookup-record.js';
import { STATE_PREFIX } from '../state/blob-state-store.js';
import { BadRequestError, NotFoundError, type FieldProblem } from './errors.js';

/** A target and where the job names it (`sink`, `outputs.alerts`, `lateRecords.sink`, `lookup`...). */
export interface NamedTarget extends JobTarget {
  readonly field: string;
}

/** Every target of the job outside the engine, each once per (field, target). */
export function targetsOf(job: JobDefinition): NamedTarget[] {
  const out: NamedTarget[] = [];
  const add = (target: NamedTarget | null) => {
    if (target === null) return;
    const same = (t: NamedTarget) => t.field === target.field && t.type === target.type && t.name === target.name;
    if (!out.some(same)) out.push(target);
  };
  add(sourceTarget(job.source.spec));
  for (const { spec, field } of sinksOf(job)) add(sinkTarget(spec, field));
  for (const stage of job.pipeline.lookups?.stages ?? []) {
    add({ type: 'dynamodb-table', name: stage.table.tableName, role: 'lookup', field: 'lookup' });
  }
  return out;
}

/**
 * 400 when the job names one of the engine's own tables as a sink or lookup table, or
 * writes files under the engine's own prefixes of the checkpoint bucket; every problem is
 * a field of the answer.
 */
export function refuseEngineTables(job: JobDefinition, targets: JobTargets): void {
  const problems: FieldProblem[] = [];
  for (const target of targetsOf(job)) {
    const use = targets.engineUse(target);
    if (use === null) continue;
    problems.push({
      field: `job.${target.field}`,
      message:
        `${describeTarget(target)} is the engine's own table (${use}): job ${job.name} may not ` +
        `${target.role === 'lookup' ? 'read' : 'write'} it; name another table in the job or its parameters`,
    });
  }
  for (const { spec, field } of sinksOf(job)) {
    if (spec.type !== 's3files' || spec.bucket !== undefined) continue;
    const under = ENGINE_PREFIXES.find((p) => `${spec.prefix}/`.startsWith(p.prefix));
    if (under === undefined) continue;
    problems.push({
      field: `job.${field}`,
      message:
        `files under ${spec.prefix}/ of the checkpoint bucket would be among the engine's own objects (${under.use}, under ` +
        `${under.prefix}): job ${job.name} may not write there; choose a prefix outside ${ENGINE_PREFIXES.map((p) => p.prefix).join(', ')}`,
    });
  }
  if (problems.length > 0) throw BadRequestError.of(problems);
}

/** The field of a job's connector that names a target of each type. */
const SETTING: Readonly<Record<NamedTarget['type'], string>> = {
  'kinesis-stream': 'streamName',
  'kafka-topic': 'topic',
  'dynamodb-table': 'tableName',
  's3-bucket': 'bucket',
  'memory-stream': 'streamName',
};

/** The engine's own objects in the checkpoint bucket, by prefix. */
const ENGINE_PREFIXES = [
  { prefix: STATE_PREFIX, use: "the jobs' state" },
  { prefix: EXCHANGE_PREFIX, use: 'the exchange between the stages of a batch' },
  { prefix: LOOKUP_PREFIX, use: 'what each batch read from its lookup tables' },
] as const;

/** Every sink of the job, with where the job names it. */
function sinksOf(job: JobDefinition): { readonly spec: SinkSpec; readonly field: string }[] {
  const fields = new Map<SinkSpec, string>();
  for (const spec of job.sinks) fields.set(spec, 'sink');
  for (const [name, specs] of Object.entries(job.outputs)) for (const spec of specs) fields.set(spec, `outputs.${name}`);
  if (job.lateRecords !== undefined) fields.set(job.lateRecords.sink, 'lateRecords.sink');
  if (job.deadLetters !== undefined) fields.set(job.deadLetters.sink, 'deadLetters.sink');
  return allSinksOf(job).map((spec) => ({ spec, field: fields.get(spec) ?? 'sink' }));
}

/** 404 naming every target the deployment can see is missing; a target it cannot see is the driver's to find. */
export async function requireTargets(job: JobDefinition, targets: JobTargets): Promise<void> {
  const all = targetsOf(job);
  const presence = await Promise.all(all.map((t) => targets.presence(t)));
  const missing = all.filter((_, i) => presence[i] === 'missing');
  if (missing.length === 0) return;
  const what = missing.map((t) => `the ${t.role === 'lookup' ? 'lookup table' : t.field} ${describeTarget(t)}`);
  const settings = [...new Set(missing.map((t) => SETTING[t.type]))].join(' and ');
  throw new NotFoundError(
    `${what.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist in this account and region: ` +
      `create ${missing.length === 1 ? 'it' : 'them'}, or fix job ${job.name}'s ${settings} (or the parameter that sets it); nothing was started`,
  );
}

function sourceTarget(spec: SourceSpec): NamedTarget {
  switch (spec.type) {
    case 'kinesis':
      return { type: 'kinesis-stream', name: spec.streamName, role: 'source', field: 'source' };
    case 'kafka':
      return { type: 'kafka-topic', name: spec.topic, role: 'source', field: 'source' };
    case 'memory':
      return { type: 'memory-stream', name: spec.streamName, role: 'source', field: 'source' };
  }
}

/** A sink's target; none for user sinks, memory sinks and files in the checkpoint bucket (always there). */
function sinkTarget(spec: SinkSpec, field: string): NamedTarget | null {
  switch (spec.type) {
    case 'dynamodb':
      return { type: 'dynamodb-table', name: spec.tableName, role: 'sink', field };
    case 'kinesis':
      return { type: 'kinesis-stream', name: spec.streamName, role: 'sink', field };
    case 'kafka':
      return { type: 'kafka-topic', name: spec.topic, role: 'sink', field };
    case 's3files':
      return spec.bucket === undefined ? null : { type: 's3-bucket', name: spec.bucket, role: 'sink', field };
    case 'memory':
    case 'user':
      return null;
  }
}

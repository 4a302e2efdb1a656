import { TrackedState } from '../../../engine/executor/tracked-state.js';
import type { JsonValue } from '../../../engine/json.js';
import type { CompiledPipeline, JobDefinition, PipelineOutcome } from '../../../engine/job/index.js';
import { defineJob, memorySink, memorySource, type JobSpec } from '../../../engine/job/index.js';
import type { SourceRecord } from '../../../engine/ports/source-reader.js';

const encoder = new TextEncoder();

/** A source record holding `value` as JSON (or raw bytes / text as given). */
export function rec(offset: number, value: unknown, options: { partition?: string; arrivalTimeMs?: number } = {}): SourceRecord {
  const data = value instanceof Uint8Array ? value : encoder.encode(typeof value === 'string' ? value : JSON.stringify(value));
  return {
    partition: options.partition ?? 'shard-0',
    offset: String(offset),
    key: `k${offset}`,
    data,
    arrivalTimeMs: options.arrivalTimeMs ?? 1_000,
  };
}

/** JSON records at offsets first, first + 1, ... */
export function recs(values: readonly unknown[], first = 1): SourceRecord[] {
  return values.map((value, i) => rec(first + i, value));
}

type AnySpec = JobSpec<any, 'json' | 'utf8'>;

/** A memory job with the given pipeline and options (input typed `any`). */
export function job(spec: Partial<AnySpec> & Pick<AnySpec, 'pipeline'>): JobDefinition {
  return defineJob({
    name: 'test-job',
    version: 1,
    source: memorySource({ streamName: 'in' }),
    sink: memorySink({ name: 'out' }),
    ...spec,
  });
}

/**
 * Runs batch after batch on one partition the way the executor does: each batch gets a
 * TrackedState over the state the previous batch materialized.
 */
export class PartitionRun {
  state: Map<string, JsonValue> = new Map();
  batchId = 0;

  constructor(private readonly pipeline: CompiledPipeline) {}

  batch(records: readonly SourceRecord[], watermarkMs: number | null = null): PipelineOutcome {
    const tracked = new TrackedState(this.state);
    this.batchId += 1;
    const outcome = this.pipeline.run({ records, state: tracked, watermarkMs, timeMs: 0, batchId: this.batchId, partition: 'shard-0' });
    this.state = tracked.materialize();
    return outcome;
  }

  /** The state as a plain sorted object, for assertions. */
  stateObject(): Record<string, JsonValue> {
    return Object.fromEntries([...this.state].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

/** Row key -> row value. */
export function rowsByKey(outcome: PipelineOutcome): Record<string, unknown> {
  return Object.fromEntries(outcome.rows.map((row) => [row.key, row.value]));
}

import { createHash } from 'node:crypto';
import type { JsonValue } from '../json.js';
import type { PipelinePlan } from './stream.js';

/**
 * The shape of a job's keyed state: what each stored entry's key and value hold, as the
 * code of one job version reads and writes them. Two definitions with the same shape read
 * each other's state; when the shape changes (an aggregate added, a named aggregate
 * renamed, another window, another keyed operator, a process function's state variable
 * added or of another kind), state written by the old code would be misread, and its
 * records dead-lettered one by one. The planner therefore records the shape's fingerprint
 * in every batch plan (BatchPlan.stateShape) and refuses a plan whose code has another
 * shape under the same job version (engine/protocol/job-versions.ts checkStateShape): the
 * job must bump its version and declare a migration (docs/replay.md, "Job versions").
 *
 * Part of the shape:
 *   - whether the job keeps state, and with which operator: a keyed aggregate (with its
 *     aggregates' kinds, by name for named ones), or a keyed operator (its kind; a process
 *     function's state variables by name, with their kinds);
 *   - the window: its type and every parameter (size, slide, offset, gap), since window
 *     bounds are part of each entry's key.
 * Not part of it (they do not change what an entry holds):
 *   - user functions (map, keyBy, the aggregates' functions...): their source text is not
 *     a shape, and a bundler may rewrite it between two builds of the same code;
 *   - sinks, outputs, the source, the trigger, the output mode, lateness, TTLs and join
 *     bounds (they decide what is written or when state is released, not its form);
 *   - where state lives (key groups, or each partition with keyedBy: 'partitionKey'):
 *     the layout, checked on its own (engine/protocol/key-groups.ts
 *     checkStateLayoutUnchanged) and changed only by a replay that regroups.
 *
 * The fingerprint is the first 16 hex digits of the SHA-256 of the shape as canonical
 * JSON (object keys sorted at every level): the same on every run, in every process,
 * whatever order the job declared its named aggregates or state variables in.
 */
export type StateShape = JsonValue;

/** The shape of the state a compiled pipeline plan keeps (see above). */
export function stateShapeOf(plan: PipelinePlan): StateShape {
  if (plan.operator !== undefined) return { operator: plan.operator.stateShape ?? plan.operator.description };
  if (plan.aggregate === undefined) return { state: 'none' };
  const window: JsonValue = plan.window === undefined ? null : { ...plan.window };
  return { aggregate: plan.aggregate.shape, window };
}

/** The fingerprint of a state shape: 16 hex digits of the SHA-256 of its canonical JSON. */
export function fingerprintOf(shape: StateShape): string {
  return createHash('sha256').update(canonicalJson(shape)).digest('hex').slice(0, 16);
}

/** The fingerprint of the state a compiled pipeline plan keeps. */
export function stateShapeFingerprint(plan: PipelinePlan): string {
  return fingerprintOf(stateShapeOf(plan));
}

/** JSON with every object's keys in code-unit order, so that key order never changes it. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Runs one job over the same records cut into the same batches, with the records spread
 * over any number of partitions, and collects what an exactly-once comparison needs: every
 * batch's sink writes, the final sink, the dead letters by record (not by offset, which
 * differs between partitionings), the late records and the state, each key's state checked
 * to live in its own key group only.
 */
import { expect } from 'vitest';
import type { JobDefinition } from '../../../engine/job/types.js';
import type { JsonValue } from '../../../engine/json.js';
import { createTestHarness } from '../../../engine/testing/harness.js';
import { keyGroupState } from '../../support/key-group-state.js';

export const STREAM = 'events';

export type EventKind = 'ok' | 'malformed' | 'bad-map' | 'no-key' | 'bad-ts' | 'bad-agg';

/** One input record: its JSON payload is the event (a malformed one is cut short). */
export interface TestEvent {
  readonly id: number;
  readonly k: string | number;
  readonly v: number;
  readonly ts: number;
  readonly kind: EventKind;
  /** How many values flatMap pipelines make of it. */
  readonly copies: number;
  /** Bytes that only travel with the value (to push stage 1's output over the inline limit). */
  readonly pad?: string;
}

export function payloadOf(e: TestEvent): string {
  const json = JSON.stringify({ ...e, ...(e.kind === 'no-key' ? { k: null } : {}), ...(e.kind === 'bad-ts' ? { ts: 'bad' } : {}) });
  return e.kind === 'malformed' ? json.slice(0, -1) : json;
}

export interface PartitionedOutcome {
  /** Per batch, the rows it wrote, as `key=value`, sorted. */
  readonly writes: string[][];
  /** The sink at the end: key → (value, batch that wrote it). */
  readonly sink: Map<string, { value: unknown; batchId: number }>;
  /** `<event id>:<stage>` of every dead letter, sorted (a record's letter is one however many values failed). */
  readonly letters: string[];
  readonly lateRecords: number;
  /** The committed state, by state key, whichever partition or key group holds it. */
  readonly state: Map<string, JsonValue>;
  /** Batches whose stage 1 wrote an exchange object (its output was too large to go inline). */
  readonly exchangeWrites: number;
}

/**
 * Appends each batch's events to the partitions `partitionOf` gives (of `partitions`,
 * named p0, p1...), runs one batch per element of `batches` (an empty one included), and
 * returns the outcome. With `partitionKeys`, a record's partition key is its event's key
 * (for jobs that declare keyedBy: 'partitionKey').
 */
export async function runPartitioned(
  job: JobDefinition,
  batches: readonly (readonly TestEvent[])[],
  options: { readonly partitions: number; readonly partitionOf: (e: TestEvent) => number; readonly partitionKeys?: boolean },
): Promise<PartitionedOutcome> {
  const partitions = Array.from({ length: options.partitions }, (_, i) => `p${i}`);
  const t = createTestHarness(job, { partitions });
  const encoder = new TextEncoder();
  const eventAt = new Map<string, number>();
  let exchangeWrites = 0;
  const put = t.ports.exchange.put.bind(t.ports.exchange);
  t.ports.exchange.put = async (key, body) => {
    exchangeWrites += 1;
    return put(key, body);
  };
  const writes: string[][] = [];
  let lateRecords = 0;
  for (const events of batches) {
    for (const e of events) {
      const partition = partitions[options.partitionOf(e)]!;
      const key = options.partitionKeys && e.kind !== 'no-key' ? String(e.k) : `id-${e.id}`;
      const [offset] = t.ports.source.append(STREAM, partition, [{ key, data: encoder.encode(payloadOf(e)) }]);
      eventAt.set(`${partition}#${offset}`, e.id);
    }
    const batch = await t.runBatch();
    writes.push(batch.emitted.map((r) => `${r.key}=${JSON.stringify(r.value)}`).sort());
    lateRecords += batch.lateRecords;
  }
  const sink = new Map((await t.sinkRows()).map((r) => [r.key, { value: r.value, batchId: r.batchId }]));
  const letters = new Set<string>();
  for (const letter of await t.deadLetters()) {
    const id = eventAt.get(`${letter.partition}#${letter.offset}`);
    expect(id, `a dead letter of no record: ${letter.partition}#${letter.offset}`).toBeDefined();
    letters.add(`${id}:${letter.stage}`);
  }
  return { writes, sink, letters: [...letters].sort(), lateRecords, state: await stateOf(t, job), exchangeWrites };
}

/** The committed state by state key: the one partition's, or every key group's (each key in its own group only). */
async function stateOf(t: ReturnType<typeof createTestHarness>, job: JobDefinition): Promise<Map<string, JsonValue>> {
  if (job.keyGroups !== undefined) return keyGroupState(t.ports, t.jobId);
  const all = await t.state();
  return new Map([...all].map(([k, v]) => [k.slice(k.indexOf('/') + 1), v]));
}

import {
  mayReplace,
  type Sink,
  type SinkWrite,
  type SinkWriteResult,
  type StoredRow,
  type UserSinkBatch,
  type UserSinkSpec,
} from '../../ports/sink.js';
import { UserSink, type UserSinkOutcome } from '../../sinks/user-sink.js';

/** One call of the user's function, as the memory twin recorded it. */
export interface MemoryUserSinkCall {
  readonly batch: UserSinkBatch;
  readonly outcome: UserSinkOutcome;
  /** The row keys the function refused (SinkRejectedError). */
  readonly rejectedKeys: readonly string[];
}

/**
 * The memory twin of a user sink: the deployed adapter (engine/sinks/user-sink.ts) around
 * the same function, recording every call, retries and zombies included. `scan()` is the
 * latest (generation, batch) per row key among the rows of calls that succeeded (rows
 * refused with SinkRejectedError left out), as a destination that upserts by row key
 * would hold them.
 */
export class MemoryUserSink implements Sink {
  private readonly recorded: MemoryUserSinkCall[] = [];
  private readonly inner: UserSink;

  constructor(readonly spec: UserSinkSpec) {
    this.inner = new UserSink(spec, (batch, outcome, rejected) => {
      this.recorded.push(structuredClone({ batch, outcome, rejectedKeys: rejected.map((r) => r.key) }));
    });
  }

  /** Every call so far, in order. */
  get calls(): readonly MemoryUserSinkCall[] {
    return this.recorded.map((c) => structuredClone(c));
  }

  write(request: SinkWrite): Promise<SinkWriteResult> {
    return this.inner.write(request);
  }

  async get(key: string): Promise<StoredRow | null> {
    return (await this.scan()).find((row) => row.key === key) ?? null;
  }

  async scan(): Promise<StoredRow[]> {
    const latest = new Map<string, StoredRow>();
    for (const { batch, outcome, rejectedKeys } of this.recorded) {
      if (outcome === 'failed') continue;
      const refused = new Set(rejectedKeys);
      for (const row of batch.rows) {
        if (refused.has(row.key)) continue;
        const stored = latest.get(row.key);
        if (stored !== undefined && !mayReplace(stored, batch)) continue;
        latest.set(row.key, { key: row.key, value: row.value, batchId: batch.batchId, generation: batch.generation });
      }
    }
    return structuredClone([...latest.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
}

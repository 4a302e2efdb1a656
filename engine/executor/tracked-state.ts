import type { JsonValue } from '../json.js';
import type { KeyedState } from '../job/types.js';
import type { StateChanges } from '../ports/state-store.js';

/**
 * A partition's keyed state during one batch: reads fall through to the base version,
 * writes are recorded as changes. The base map is never modified, so a cached version
 * stays valid if the batch fails; `materialize()` builds the next version after the
 * state write succeeded.
 */
export class TrackedState implements KeyedState {
  private readonly changes = new Map<string, JsonValue | undefined>();

  constructor(private readonly base: ReadonlyMap<string, JsonValue>) {}

  get(key: string): JsonValue | undefined {
    return this.changes.has(key) ? this.changes.get(key) : this.base.get(key);
  }

  put(key: string, value: JsonValue): void {
    if (value === undefined) throw new TypeError(`state value for ${key} is undefined: use delete()`);
    this.changes.set(key, value);
  }

  delete(key: string): void {
    if (this.base.has(key)) this.changes.set(key, undefined);
    else this.changes.delete(key);
  }

  *entries(): IterableIterator<[string, JsonValue]> {
    for (const [key, value] of this.base) {
      if (!this.changes.has(key)) yield [key, value];
    }
    for (const [key, value] of this.changes) {
      if (value !== undefined) yield [key, value];
    }
  }

  get size(): number {
    let size = this.base.size;
    for (const [key, value] of this.changes) {
      const inBase = this.base.has(key);
      if (value === undefined && inBase) size -= 1;
      else if (value !== undefined && !inBase) size += 1;
    }
    return size;
  }

  get changed(): boolean {
    return this.changes.size > 0;
  }

  /** The changes in key order (deterministic bytes for the delta). */
  changeSet(): StateChanges {
    return new Map([...this.changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** A new map: the base with the changes applied. */
  materialize(): Map<string, JsonValue> {
    const next = new Map(this.base);
    for (const [key, value] of this.changes) {
      if (value === undefined) next.delete(key);
      else next.set(key, value);
    }
    return next;
  }
}

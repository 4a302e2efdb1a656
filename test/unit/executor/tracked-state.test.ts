import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TrackedState } from '../../../engine/executor/tracked-state.js';
import type { JsonValue } from '../../../engine/json.js';

describe('TrackedState', () => {
  it('reads its own writes and never changes the base', () => {
    const base = new Map<string, number>([
      ['a', 1],
      ['b', 2],
    ]);
    const state = new TrackedState(base);
    state.put('a', 10);
    state.delete('b');
    state.put('c', 3);
    expect(state.get('a')).toBe(10);
    expect(state.get('b')).toBeUndefined();
    expect(state.size).toBe(2);
    expect([...state.entries()].sort()).toEqual([
      ['a', 10],
      ['c', 3],
    ]);
    expect([...base]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('materializes to the same map as applying the operations to a plain map', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer()), fc.array(op), (initial, ops) => {
        const base = new Map<string, number>(Object.entries(initial));
        const plain = new Map(base);
        const state = new TrackedState(base as Map<string, JsonValue>);
        for (const o of ops) {
          if (o.kind === 'put') {
            state.put(o.key, o.value);
            plain.set(o.key, o.value);
          } else {
            state.delete(o.key);
            plain.delete(o.key);
          }
        }
        expect(new Map([...state.materialize()].sort())).toEqual(new Map([...plain].sort()));
        expect(state.size).toBe(plain.size);
        // The change set applied to the base gives the same map.
        const replayed = new Map<string, JsonValue>(base);
        for (const [k, v] of state.changeSet()) {
          if (v === undefined) replayed.delete(k);
          else replayed.set(k, v);
        }
        expect(new Map([...replayed].sort())).toEqual(new Map([...plain].sort()));
      }),
    );
  });

  it('a delete of a key only this batch added leaves no change behind', () => {
    const state = new TrackedState(new Map());
    state.put('x', 1);
    state.delete('x');
    expect(state.changed).toBe(false);
  });
});

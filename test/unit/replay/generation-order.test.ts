/** The sink's order of writes (engine/ports/sink.ts): (generation, batch), generation first. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../../engine/adapters/memory/memory-sink.js';
import { mayReplace } from '../../../engine/ports/sink.js';

const pair = fc.record({ generation: fc.integer({ min: 0, max: 4 }), batchId: fc.integer({ min: 1, max: 30 }) });

describe('the order of sink writes', () => {
  it("replaces a row exactly when the write's (generation, batch) is not below the stored pair, lexicographically", () => {
    fc.assert(
      fc.property(pair, pair, (stored, write) => {
        const lexicographic =
          write.generation > stored.generation || (write.generation === stored.generation && write.batchId >= stored.batchId);
        expect(mayReplace(stored, write)).toBe(lexicographic);
      }),
    );
    expect(mayReplace({ generation: 0, batchId: 90 }, { generation: 1, batchId: 3 })).toBe(true);
    expect(mayReplace({ generation: 1, batchId: 3 }, { generation: 0, batchId: 90 })).toBe(false);
  });

  it('ends with the value of the highest (generation, batch), whatever order the writes arrive in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pair, { minLength: 1, maxLength: 12 }), async (writes) => {
        const sink = new MemorySink();
        for (const w of writes) {
          await sink.write({ jobId: 'j', partition: 'p', ...w, rows: [{ key: 'k', value: { from: `${w.generation}/${w.batchId}` } }] });
        }
        const top = writes.reduce((a, b) => (mayReplace(a, b) ? b : a));
        expect(await sink.get('k')).toEqual({ key: 'k', value: { from: `${top.generation}/${top.batchId}` }, ...top });
      }),
    );
  });
});

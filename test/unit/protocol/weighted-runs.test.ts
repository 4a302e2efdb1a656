import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weightedRuns } from '../../../engine/protocol/weighted-runs.js';

describe('weightedRuns', () => {
  it('keeps every item once, in order, in runs within the bounds (an item over the weight alone)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 })),
        fc.integer({ min: 1, max: 60 }),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        (weights, maxWeight, maxItems) => {
          const runs = weightedRuns(weights, (w) => w, { maxWeight, ...(maxItems === undefined ? {} : { maxItems }) });
          expect(runs.flat()).toEqual(weights);
          for (const run of runs) {
            expect(run.length).toBeGreaterThan(0);
            if (maxItems !== undefined) expect(run.length).toBeLessThanOrEqual(maxItems);
            if (run.length > 1) expect(run.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxWeight);
          }
          // Greedy: a run is closed only when the next item would break a bound.
          for (let i = 0; i + 1 < runs.length; i += 1) {
            const full = maxItems !== undefined && runs[i]!.length === maxItems;
            const over = runs[i]!.reduce((a, b) => a + b, 0) + runs[i + 1]![0]! > maxWeight;
            expect(full || over).toBe(true);
          }
        },
      ),
    );
  });

  it('gives no runs for no items', () => {
    expect(weightedRuns([], () => 1, { maxWeight: 10 })).toEqual([]);
  });
});

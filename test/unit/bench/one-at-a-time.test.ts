import { describe, expect, it } from 'vitest';
import { oneAtATime } from '../../../bench/metered-triggers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the cost meter times in-process Lambda calls one at a time', () => {
  it('runs calls made at once one after another, each timed alone, and passes results and failures through', async () => {
    const timed: [string, number][] = [];
    const wrap = oneAtATime((fn, ms) => timed.push([fn, ms]));
    let running = 0;
    let most = 0;
    const own: number[] = [];
    const call = (fail: boolean) => async (event: unknown) => {
      const started = performance.now();
      running += 1;
      most = Math.max(most, running);
      await sleep(40);
      running -= 1;
      own.push(performance.now() - started);
      if (fail) throw new Error(`failed ${String(event)}`);
      return `done ${String(event)}`;
    };
    const execute = wrap('execute', call(false));
    const failing = wrap('executeGroups', call(true));
    const spanStarted = performance.now();
    const results = await Promise.allSettled([execute(1), failing(2), execute(3)]);
    const span = performance.now() - spanStarted;
    expect(most).toBe(1);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'done 1',
      'failed 2',
      'done 3',
    ]);
    expect(timed.map(([fn]) => fn)).toEqual(['execute', 'executeGroups', 'execute']);
    // The last call's time is its own, not the time it waited for the two before it.
    expect(timed[2]![1]).toBeGreaterThanOrEqual(own[2]!);
    expect(timed[2]![1]).toBeLessThanOrEqual(span - own[0]! - own[1]!);
  });
});

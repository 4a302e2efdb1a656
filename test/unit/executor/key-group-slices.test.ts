/**
 * Stage 2 reads its exchange slices while it reads the batch's plan (run-key-groups.ts):
 * the slices are named by stage 1's results, so the two reads are one round trip.
 */
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { runKeyGroups, type KeyGroupsInput } from '../../../engine/executor/run-key-groups.js';
import type { EnginePorts } from '../../../engine/ports/index.js';
import { pageViewsInMemory } from '../../support/page-views-memory.js';

/** Views of 2,000 distinct pages on one partition: stage 1's rows are too many to travel inline. */
const setup = () => pageViewsInMemory({ pages: { p0: Array.from({ length: 2_000 }, (_, i) => `page-${i}`) }, keyGroups: 2 });

/** Runs batch 1's stage 1 and returns its stage-2 inputs; stage 2 runs only when `complete`. */
async function stageTwoInputs(ports: EnginePorts, job: ReturnType<typeof setup>['job'], complete: boolean): Promise<KeyGroupsInput[]> {
  const inputs: KeyGroupsInput[] = [];
  const run = runDriver(job, ports, {
    maxBatches: 1,
    executorAttempts: 1,
    runKeyGroups: async (input) => {
      inputs.push(input);
      if (!complete) throw new Error('stage 2 held back');
      return runKeyGroups(input, { ports, job });
    },
  });
  if (complete) await run;
  else await expect(run).rejects.toThrow('stage 2 held back');
  return inputs;
}

describe('stage 2 reads the exchange with the plan', () => {
  it("asks for its slices before the plan's read has answered, and applies them once it has", async () => {
    const { ports, job } = setup();
    const inputs = await stageTwoInputs(ports, job, false);
    expect(inputs[0]!.stageOne[0]!.exchange?.objectKey).toBeDefined();
    let answerPlan: () => void = () => {};
    const planHeld = new Promise<void>((resolve) => {
      answerPlan = resolve;
    });
    const events: string[] = [];
    const held: EnginePorts = {
      ...ports,
      wal: Object.assign(Object.create(ports.wal) as typeof ports.wal, {
        getBatch: async (jobId: string, batchId: number) => {
          events.push('plan asked');
          await planHeld;
          events.push('plan answered');
          return ports.wal.getBatch(jobId, batchId);
        },
      }),
      exchange: {
        ...ports.exchange,
        keyOf: (args) => ports.exchange.keyOf(args),
        put: (key, body) => ports.exchange.put(key, body),
        delete: (keys) => ports.exchange.delete(keys),
        readSlice: (key, start, end) => {
          events.push('slice asked');
          return ports.exchange.readSlice(key, start, end);
        },
      },
    };
    const running = Promise.all(inputs.map((input) => runKeyGroups(input, { ports: held, job })));
    await new Promise((resolve) => setTimeout(resolve, 10));
    // One slice a group: every group of the one partition has rows.
    expect(events.filter((e) => e === 'slice asked')).toHaveLength(inputs.flatMap((input) => input.groups).length);
    expect(events).not.toContain('plan answered');
    answerPlan();
    const results = (await running).flat();
    expect(results.map((r) => r.group)).toEqual(inputs.flatMap((input) => input.groups));
    expect(results.reduce((total, r) => total + r.outputRows, 0)).toBe(2_000);
  });

  it('returns a committed batch’s recorded groups even when its exchange objects are gone', async () => {
    const { ports, job } = setup();
    const [input] = await stageTwoInputs(ports, job, true);
    const committed = (await ports.wal.getBatch(job.name, 1))?.commit?.groups ?? {};
    await ports.exchange.delete([input!.stageOne[0]!.exchange!.objectKey!]);
    const again = await runKeyGroups(input!, { ports, job });
    expect(again.map((r) => [r.group, r.stateVersion, r.outputRows])).toEqual(input!.groups.map((g) => [g, committed[g]?.version ?? 0, 0]));
  });

  it('fails a group whose slice cannot be read, once the plan says the batch is not committed', async () => {
    const { ports, job } = setup();
    const [input] = await stageTwoInputs(ports, job, false);
    await ports.exchange.delete([input!.stageOne[0]!.exchange!.objectKey!]);
    await expect(runKeyGroups(input!, { ports, job })).rejects.toThrow(/exchange object .* is gone/);
  });
});

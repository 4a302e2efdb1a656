/**
 * The batches definition run by aws-local-stepfunctions (the local runtime's interpreter)
 * with stub functions: what Finish receives on each path of a batch. The stubs stand for
 * the handlers; the engine's side of each path is in test/unit/driver/two-stage-tasks.test.ts.
 */
import '../../local/promise-with-resolvers.js';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { PLACEHOLDERS, TASK_STATES, batchesDefinition, substitute, type Placeholder } from '../../infra/state-machines/definitions.js';

const ARNS = Object.fromEntries(
  Object.values(PLACEHOLDERS).map((p) => [p, `arn:aws:lambda:us-east-1:000000000000:function:${p}`]),
) as Record<Placeholder, string>;

/** Runs one batch of the child: the plan gives `batch`, Route `slots`; returns what each task was sent. */
async function runOneBatch(batch: Record<string, unknown>, slots: number[][]) {
  const sent: Record<string, unknown[]> = {};
  const task = (state: string, output: (input: unknown) => unknown) => async (input: unknown) => {
    (sent[state] ??= []).push(input);
    return output(input);
  };
  const machine = new StateMachine(substitute(batchesDefinition(), ARNS) as unknown as StateMachineDefinition);
  const handlers = {
    [TASK_STATES.plan]: task(TASK_STATES.plan, () => ({ stop: false, batchId: 7, partitions: ['p0', 'p1'], ...batch })),
    [TASK_STATES.execute]: task(TASK_STATES.execute, (input) => ({ partition: (input as { partition: string }).partition })),
    [TASK_STATES.route]: task(TASK_STATES.route, () => ({ slots })),
    [TASK_STATES.executeGroups]: task(TASK_STATES.executeGroups, (input) =>
      (input as { groups: number[] }).groups.map((group) => ({ group })),
    ),
    [TASK_STATES.finish]: task(TASK_STATES.finish, () => ({ action: 'stop', reason: 'caught-up', waitMs: 0 })),
  };
  const run = machine.run({ driver: { jobId: 'j' }, loop: { idleStreak: 0 } } as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
  });
  const output = await run.result;
  return { sent, output };
}

describe('the batches definition on the local interpreter', () => {
  it('a one-stage batch goes from Execute to Finish with no group results', async () => {
    const { sent, output } = await runOneBatch({ twoStage: false }, []);
    expect(sent[TASK_STATES.route]).toBeUndefined();
    expect(sent[TASK_STATES.finish]).toEqual([
      expect.objectContaining({ results: [{ partition: 'p0' }, { partition: 'p1' }], groupResults: [] }),
    ]);
    expect(output).toMatchObject({ outcome: 'stop', reason: 'caught-up' });
  });

  it('a two-stage batch runs one stage-2 executor per slot, each sent its groups and every stage-1 result', async () => {
    const { sent } = await runOneBatch({ twoStage: true, keyGroups: 8 }, [[0, 1], [5]]);
    const results = [{ partition: 'p0' }, { partition: 'p1' }];
    expect(sent[TASK_STATES.route]).toEqual([expect.objectContaining({ batch: expect.objectContaining({ batchId: 7 }), results })]);
    expect(sent[TASK_STATES.executeGroups]).toEqual(
      expect.arrayContaining([
        { driver: { jobId: 'j' }, batchId: 7, groups: [0, 1], stageOne: results },
        { driver: { jobId: 'j' }, batchId: 7, groups: [5], stageOne: results },
      ]),
    );
    expect(sent[TASK_STATES.finish]).toEqual([
      expect.objectContaining({ results, groupResults: [[{ group: 0 }, { group: 1 }], [{ group: 5 }]] }),
    ]);
  });

  it('a two-stage batch with no active key group runs no stage-2 executor and commits with none', async () => {
    const { sent } = await runOneBatch({ twoStage: true, keyGroups: 8 }, []);
    expect(sent[TASK_STATES.route]).toHaveLength(1);
    expect(sent[TASK_STATES.executeGroups]).toBeUndefined();
    expect(sent[TASK_STATES.finish]).toEqual([expect.objectContaining({ groupResults: [] })]);
  });
});

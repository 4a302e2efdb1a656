/**
 * The Step Functions driver's tasks on a two-stage batch, called as the state machine
 * calls them: Plan, Execute per partition, Route, ExecuteGroups per slot, Finish.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import {
  INITIAL_LOOP,
  executeGroupsTask,
  executeTask,
  finishTask,
  planTask,
  routeTask,
  type DriverInfo,
  type DriverTaskContext,
  type PlannedBatch,
} from '../../../engine/driver/tasks.js';
import { InvariantError } from '../../../engine/errors.js';
import type { GroupResult, PartitionResult } from '../../../engine/protocol/batch-records.js';
import { keyGroupOf } from '../../../engine/protocol/key-groups.js';
import { STAGE_TWO_SLOT_BYTES, STATE_ROW_BYTES, stageTwoSlots } from '../../../engine/protocol/stage-two.js';
import { startedKeyedCount } from '../../support/keyed-count-tasks.js';

const PARTITIONS = ['p0', 'p1', 'p2'];
const KEY_GROUPS = 16;

/** A keyed count in 16 key groups; each key's records on two of the three partitions. */
async function setup(options: { cache?: boolean; keyGroups?: number } = {}) {
  const ports = createMemoryPorts();
  ports.source.createStream('s', PARTITIONS);
  const { ctx, driver } = await startedKeyedCount(ports, { keyGroups: options.keyGroups ?? KEY_GROUPS, cache: options.cache === true });
  const produced = new Map<string, number>();
  const append = (keys: number, times: number) => {
    const enc = new TextEncoder();
    for (let i = 0; i < keys; i += 1) {
      const k = `key-${i}`;
      for (let n = 0; n < times; n += 1) {
        const partition = PARTITIONS[(i + n) % 2 === 0 ? i % 3 : (i + 1) % 3]!;
        ports.source.append('s', partition, [{ key: k, data: enc.encode(JSON.stringify({ k })) }]);
        produced.set(k, (produced.get(k) ?? 0) + 1);
      }
    }
  };
  return { ports, ctx, driver, produced, append };
}

/** One batch, task by task, as the batches state machine runs it. */
async function runBatch(driver: DriverInfo, ctx: DriverTaskContext) {
  const planned = await planTask({ driver }, ctx);
  if (planned.stop || planned.idle) throw new Error('the plan task stopped the driver or skipped the trigger');
  const batch: PlannedBatch = planned;
  const results: PartitionResult[] = await Promise.all(
    batch.partitions.map((partition) => executeTask({ driver, batchId: batch.batchId, partition }, ctx)),
  );
  const route = batch.twoStage ? routeTask({ driver, batch, results }) : { slots: [] };
  const groupResults: GroupResult[][] = await Promise.all(
    route.slots.map((groups) => executeGroupsTask({ driver, batchId: batch.batchId, groups, stageOne: results }, ctx)),
  );
  const finished = await finishTask(
    { driver, batch, results, groupResults, loop: INITIAL_LOOP, childStartedAt: new Date(ctx.ports.clock.now()).toISOString() },
    ctx,
  );
  return { batch, results, route, groupResults, finished };
}

describe('the driver tasks of a two-stage batch', () => {
  it('Plan, Execute, Route, ExecuteGroups and Finish count every key exactly, across partitions', async () => {
    const { ports, ctx, driver, produced, append } = await setup();
    append(40, 3);
    const { batch, results, route, groupResults, finished } = await runBatch(driver, ctx);
    expect(batch).toMatchObject({ twoStage: true, keyGroups: KEY_GROUPS, dueGroups: [] });
    // Every key's records met in its key group, whichever partitions they came from.
    const rows = await ports.sink({ type: 'memory', name: 'out' }).scan();
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value.value]))).toEqual(Object.fromEntries(produced));
    // The route is stageTwoSlots of the plan and stage 1's results; every active group ran once.
    expect(route.slots).toEqual(stageTwoSlots({ keyGroups: KEY_GROUPS, dueGroups: [], results, batchId: batch.batchId }));
    const active = [...new Set([...produced.keys()].map((k) => keyGroupOf(k, KEY_GROUPS)))].sort((a, b) => a - b);
    expect(route.slots.flat()).toEqual(active);
    expect(groupResults.flat().map((g) => g.group)).toEqual(active);
    // Available now, and every partition read to its end: the driver stops.
    expect(finished).toMatchObject({ action: 'stop', reason: 'caught-up', batch: { batchId: 1, committedNow: true, caughtUp: true } });
    expect(finished.batch.metrics).toMatchObject({ records: 120, outputRows: 40, stateRows: 40 });
    const committed = await ports.wal.getBatch('j', 1);
    expect(Object.keys(committed?.commit?.groups ?? {}).map(Number)).toEqual(active);
  });

  it('a retried Finish finds the batch committed and counts nothing twice', async () => {
    const { ctx, driver, append } = await setup();
    append(10, 2);
    const { batch, results, groupResults } = await runBatch(driver, ctx);
    const again = await finishTask(
      { driver, batch, results, groupResults, loop: INITIAL_LOOP, childStartedAt: new Date(ctx.ports.clock.now()).toISOString() },
      ctx,
    );
    expect(again.batch).toMatchObject({ batchId: 1, committedNow: false, metrics: { records: 20 } });
  });

  it('Route is pure: the same batch routes the same way every time, and a one-stage batch is refused', async () => {
    const { ctx, driver, append } = await setup();
    append(30, 1);
    const planned = (await planTask({ driver }, ctx)) as PlannedBatch;
    const results = await Promise.all(planned.partitions.map((partition) => executeTask({ driver, batchId: 1, partition }, ctx)));
    const first = routeTask({ driver, batch: planned, results });
    expect(routeTask({ driver, batch: planned, results: structuredClone(results) })).toEqual(first);
    // Due groups run even without rows.
    const due = routeTask({ driver, batch: { ...planned, dueGroups: [KEY_GROUPS - 1] }, results: [] });
    expect(due.slots).toEqual([[KEY_GROUPS - 1]]);
    const oneStage: PlannedBatch = { ...planned, twoStage: false };
    delete (oneStage as { keyGroups?: number }).keyGroups;
    expect(() => routeTask({ driver, batch: oneStage, results })).toThrow(InvariantError);
  });

  it('a batch of small key groups runs them all in one stage-2 call', async () => {
    const { ctx, driver, append } = await setup({ keyGroups: 64 });
    append(400, 1);
    const { route, groupResults } = await runBatch(driver, ctx);
    expect(route.slots).toHaveLength(1);
    expect(route.slots[0]!.length).toBeGreaterThan(40);
    expect(groupResults.map((r) => r.map((g) => g.group))).toEqual(route.slots);
  });

  it('heavy key groups get calls of their own: at most 40, of contiguous groups', async () => {
    const { ctx, driver, append } = await setup({ keyGroups: 64 });
    append(400, 1);
    const planned = (await planTask({ driver }, ctx)) as PlannedBatch;
    const results = await Promise.all(planned.partitions.map((partition) => executeTask({ driver, batchId: 1, partition }, ctx)));
    // Each group's state as heavy as a slot's whole budget: a call each, were there not more than 40.
    const rows = STAGE_TWO_SLOT_BYTES / STATE_ROW_BYTES;
    const heavy = { ...planned, groupRows: Object.fromEntries(Array.from({ length: 64 }, (_, g) => [g, rows])) };
    const route = routeTask({ driver, batch: heavy, results });
    expect(route.slots).toHaveLength(40);
    expect(route.slots.flat()).toEqual(routeTask({ driver, batch: planned, results }).slots.flat());
    for (const slot of route.slots) expect(slot).toEqual(slot.map((_, i) => slot[0]! + i));
    const groupResults = await Promise.all(
      route.slots.map((groups) => executeGroupsTask({ driver, batchId: 1, groups, stageOne: results }, ctx)),
    );
    expect(groupResults.map((r) => r.map((g) => g.group))).toEqual(route.slots);
  });

  it("stage 2 keeps a warm container's key group states: the next batch loads none from the store", async () => {
    for (const cache of [true, false]) {
      const { ports, ctx, driver, append } = await setup({ cache });
      let loads = 0;
      const load = ports.state.load.bind(ports.state);
      ports.state.load = (...args) => ((loads += 1), load(...args));
      append(20, 1);
      await runBatch(driver, ctx);
      loads = 0;
      append(20, 1);
      await runBatch(driver, ctx);
      if (cache) expect(loads).toBe(0);
      else expect(loads).toBeGreaterThan(0);
    }
  });
});

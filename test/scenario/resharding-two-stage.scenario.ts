import { describe, expect, it } from 'vitest';
import { TWO_STAGE_CRASH_POINTS, EXCHANGE_STORE_CRASH_POINTS, type CrashPoint } from '../support/crash.js';
import type { ReshardWorldFactory } from '../support/reshard-world.js';
import { reshardCrashes, runStory, viewsJob } from './resharding.scenario.js';

const KEY_GROUPS = 4;

/**
 * The reshard story (resharding.scenario.ts) under a two-stage job: its state lives in key
 * groups, so a split or a merge moves none. The sink must be exact, every page's state in
 * its own key group only, no shard must ever hold state nor a child inherit any, and
 * producers that route with ExplicitHashKey need not say how.
 */
export function describeTwoStageReshardScenarios(
  adapter: string,
  makeWorld: ReshardWorldFactory,
  crashes: readonly { point: CrashPoint; batchId: number }[],
): void {
  describe(`Kinesis resharding under a running two-stage job (${adapter})`, () => {
    it('split then merge: parents are read to their end first, no state moves, the sink is exact', async () => {
      const world = await makeWorld('key-groups');
      await runStory(world, null, viewsJob(world, { keyGroups: KEY_GROUPS }));
      const batches = await world.ports.wal.listBatches('views');
      for (const { plan, commit } of batches) {
        expect(plan.keyGroups).toBe(KEY_GROUPS);
        expect(plan.handedOver).toBeUndefined();
        for (const p of plan.partitions) {
          expect(p.inherits).toBeUndefined();
          expect(p.baseStateVersion).toBe(0);
          expect(commit!.partitions[p.partition]!.stateVersion).toBe(0);
        }
      }
      expect(Object.keys(batches.at(-1)!.commit!.groups ?? {}).length).toBeGreaterThan(1);
    });

    it('follows producers that route with ExplicitHashKey without being told how: state follows the keys, not the shards', async () => {
      const world = await makeWorld('key-groups-explicit');
      await runStory(world, null, viewsJob(world, { keyGroups: KEY_GROUPS, routing: 'explicit-undeclared' }), 'explicit-undeclared');
    });

    for (const crash of crashes) {
      it(`recovers from a crash ${crash.point} in batch ${crash.batchId}, around the reshard`, async () => {
        const world = await makeWorld(`key-groups-${crash.point}-${crash.batchId}`);
        await runStory(world, crash, viewsJob(world, { keyGroups: KEY_GROUPS }));
      });
    }
  });
}

/**
 * Crash points of both stages around the reshard, `count` of them (each point once while
 * there are points left), each in a random batch after the split (4..11). The story has
 * no bad records and its job combines its counts in stage 1, whose small output always
 * goes inline: the dead letters' and the exchange store's points are never reached there
 * (the crash scenarios cover them).
 */
export function twoStageReshardCrashes(random: () => number, count: number): { point: CrashPoint; batchId: number }[] {
  const points = TWO_STAGE_CRASH_POINTS.filter((point) => point !== 'after-dead-letters' && !EXCHANGE_STORE_CRASH_POINTS.includes(point));
  const shuffled = [...points].sort(() => random() - 0.5);
  return Array.from({ length: count }, (_, i) => reshardCrashes(random, 1, [shuffled[i % shuffled.length]!])[0]!);
}

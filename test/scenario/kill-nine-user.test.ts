import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { startLocalRuntime } from '../../local/runtime.js';
import * as kill from '../support/kill-nine.js';
import { RUNNER_JOBS, RUNNER_SCRIPT } from '../support/kill-nine-runner.js';
import { readUserSink } from '../support/kill-nine-user-sink.js';

/**
 * kill -9 of the local runtime writing through a user sink (foreachBatch;
 * test/support/kill-nine.ts has the schedule). The sink's function writes to a DynamoDB
 * table of its own on the runtime's DynamoDB Local, which survives the kills, idempotently
 * on (generation, batch) as docs/sinks/streams-and-user-sinks.md asks
 * (test/support/kill-nine-user-sink.ts). The engine calls it at least once per partition
 * of each batch, and again after a kill; the table must hold exactly the expected counts,
 * and every repeated call must have carried the same rows.
 */
const SEED = 53;
const dataDirFor = kill.useDataDirs();

describe('kill -9 of the local runtime, user sink', () => {
  it(`seed ${SEED}: ${kill.KILLS_PER_RUN} kills at random moments, then the user's table is exact`, async () => {
    const dataDir = await dataDirFor(SEED);
    await kill.killAtRandomThenFinish(SEED, () => kill.startRun(RUNNER_SCRIPT, [...kill.runArgs(dataDir), '--sink', 'user']));

    const runtime = await startLocalRuntime({ dataDir, logger: silentLogger });
    try {
      const sink = await readUserSink(runtime.ports.clients.dynamodb);
      console.info(`seed ${SEED}: ${sink.calls} calls (generation, batch, partition), ${sink.repeated} of them made again after a kill`);
      expect(sink.conflicts).toEqual([]);
      const expected = kill.expectedPageViews();
      kill.expectExactCounts(new Map([...sink.rows].map(([k, v]) => [k, v.value])), expected.counts);
      await kill.expectCommittedRun(runtime, RUNNER_JOBS.user, expected.deadLetters);
    } finally {
      await runtime.stop();
    }
  }, 600_000);
});

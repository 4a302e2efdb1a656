import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { startLocalRuntime } from '../../local/runtime.js';
import { readTopicRows } from '../support/kafka-topic-check.js';
import { uniqueTopic, useKafkaMock } from '../support/kafka.js';
import * as kill from '../support/kill-nine.js';
import { RUNNER_JOBS, RUNNER_SCRIPT } from '../support/kill-nine-runner.js';

/**
 * kill -9 of the local runtime writing to a Kafka topic (test/support/kill-nine.ts has the
 * schedule). librdkafka's mock cluster keeps its topics in memory, as long as its process
 * lives, and a real broker (MSK) outlives a driver that dies: so the cluster runs here, in
 * the test's process, outside the process group that is killed, and every restart of the
 * runtime connects to it. The sink is at least once (docs/sinks/kafka.md): read back raw
 * and deduplicated by the `sluice-id` header, the topic must hold exactly the expected
 * counts, and every copy of an id the same key, headers and value as its first.
 */
const SEED = 41;
const kafka = useKafkaMock();
const dataDirFor = kill.useDataDirs();

describe('kill -9 of the local runtime, Kafka sink', () => {
  it(`seed ${SEED}: ${kill.KILLS_PER_RUN} kills at random moments, then the topic, deduplicated by sluice-id, is exact`, async () => {
    const dataDir = await dataDirFor(SEED);
    const topic = uniqueTopic('page-views-out');
    await kafka().createTopic(topic);
    const brokers = kafka().connection.brokers;
    const args = [...kill.runArgs(dataDir), '--sink', 'kafka', '--brokers', brokers.join(','), '--topic', topic];
    await kill.killAtRandomThenFinish(SEED, () => kill.startRun(RUNNER_SCRIPT, args));

    const topicRows = await readTopicRows(brokers, topic);
    console.info(
      `seed ${SEED}: ${topicRows.messages} messages in topic ${topic}, ${topicRows.duplicates} of them copies of an earlier message's id`,
    );
    const copies = [...topicRows.duplicatesByWrite].map(([write, n]) => `${write} ×${n}`);
    console.info(`  copies by the write (generation/batch/scope) that sent them again: ${copies.join(', ') || 'none'}`);
    expect(topicRows.conflicts).toEqual([]);
    expect(topicRows.malformed).toEqual([]);
    const expected = kill.expectedPageViews();
    kill.expectExactCounts(new Map([...topicRows.rows].map(([k, v]) => [k, v.value])), expected.counts);

    const runtime = await startLocalRuntime({ dataDir, logger: silentLogger });
    try {
      await kill.expectCommittedRun(runtime, RUNNER_JOBS.kafka, expected.deadLetters);
    } finally {
      await runtime.stop();
    }
  }, 600_000);
});

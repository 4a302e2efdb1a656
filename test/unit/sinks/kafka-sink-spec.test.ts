/**
 * kafkaSink(): what defineJob accepts, and the clear JobSpecError for what it does not
 * (engine/job/connectors.ts checkSink); the deployed ports' wiring; the user's test harness.
 */
import { describe, expect, it } from 'vitest';
import { createAwsPorts } from '../../../engine/adapters/deployed-ports.js';
import { ManualClock, silentLogger } from '../../../engine/adapters/memory/index.js';
import { ConfigurationError, JobSpecError } from '../../../engine/errors.js';
import { checkSink } from '../../../engine/job/connectors.js';
import { count, defineJob, kafkaSink, memorySource } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';
import { KafkaSink } from '../../../engine/adapters/kafka/kafka-sink.js';

describe('kafkaSink()', () => {
  it('keeps the topic, the key function and maxMessageBytes, frozen', () => {
    const key = (row: { key: string }) => row.key.toUpperCase();
    const spec = kafkaSink({ topic: 'page-counts.v1', key, maxMessageBytes: 4 * 1024 * 1024 });
    expect(spec).toEqual({ type: 'kafka', topic: 'page-counts.v1', key, maxMessageBytes: 4 * 1024 * 1024 });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(kafkaSink({ topic: 't' })).toEqual({ type: 'kafka', topic: 't' });
  });

  it.each([
    [{ topic: '' }, /topic must be a Kafka topic name/],
    [{ topic: '..' }, /topic must be a Kafka topic name/],
    [{ topic: 'has space' }, /topic must be a Kafka topic name/],
    [{ topic: 't', key: 'user' }, /key must be a function/],
    [{ topic: 't', key: async () => 'k' }, /key/],
    [{ topic: 't', maxMessageBytes: 0 }, /maxMessageBytes must be an integer of at least 1024/],
    [{ topic: 't', maxMessageBytes: 1.5e3 + 0.5 }, /maxMessageBytes must be an integer/],
  ])('refuses %j', (options, message) => {
    expect(() => kafkaSink(options as never)).toThrow(JobSpecError);
    expect(() => kafkaSink(options as never)).toThrow(message);
  });

  it('checkSink names kafka among the sink types', () => {
    expect(() => checkSink({ type: 'nope' }, 'sink')).toThrow(/'kafka'/);
  });

  it('the deployed ports write a kafka spec with the Kafka sink on the connection, and refuse it without one', () => {
    const base = {
      region: 'us-east-1',
      walTable: 'wal',
      deadLetterTable: 'dlq',
      bucket: 'b',
      clock: new ManualClock(),
      logger: silentLogger,
    };
    const spec = kafkaSink({ topic: 'out' });
    expect(() => createAwsPorts(base).sinks(spec)).toThrow(ConfigurationError);
    expect(() => createAwsPorts(base).sinks(spec)).toThrow(/no Kafka connection/);
    const ports = createAwsPorts({ ...base, kafka: { brokers: ['127.0.0.1:9092'] } });
    expect(ports.sinks(spec)).toBeInstanceOf(KafkaSink);
  });
});

describe('the test harness with a Kafka sink', () => {
  it('shows what each batch sent to the topic, as a consumer deduping by sluice-id sees it', async () => {
    const t = createTestHarness(
      defineJob({
        name: 'views',
        version: 1,
        source: memorySource({ streamName: 'clicks' }),
        pipeline: (events) => events.keyBy((e) => e.page).aggregate(count()),
        sink: kafkaSink({ topic: 'views-out' }),
      }),
    );
    t.addRecords([{ page: '/a' }, { page: '/a' }, { page: '/b' }]);
    expect((await t.runBatch()).emitted.map((r) => [r.key, r.value.value])).toEqual([
      ['/a', 2],
      ['/b', 1],
    ]);
    t.addRecords([{ page: '/a' }]);
    expect((await t.runBatch()).emitted.map((r) => [r.key, r.value.value])).toEqual([['/a', 3]]);
    expect(await t.sinkValues()).toEqual({ '/a': { key: '/a', value: 3 }, '/b': { key: '/b', value: 1 } });
  });
});

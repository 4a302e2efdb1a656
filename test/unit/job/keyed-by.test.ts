/**
 * keyedBy: 'partitionKey', the declaration that a keyed job's keys are its source's
 * partition keys, checked on every record: a record that breaks it is a dead letter, never
 * an update of a state another partition may also hold.
 */
import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import { count, defineJob, kafkaSource, memorySink } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';
import type { SourceRecord } from '../../../engine/ports/source-reader.js';
import { job, PartitionRun, rec } from './harness.js';

/** A record of `page` whose partition key is `key`. */
const view = (offset: number, page: string, key: string): SourceRecord => ({ ...rec(offset, { page }), key });

const countPerPage = (keyedBy?: 'partitionKey') =>
  job({ pipeline: (events) => events.keyBy((e) => e.page).aggregate(count()), ...(keyedBy === undefined ? {} : { keyedBy }) });

describe("keyedBy: 'partitionKey'", () => {
  it('counts records whose key is their partition key, as without the declaration', () => {
    const records = [view(1, 'a', 'a'), view(2, 'b', 'b'), view(3, 'a', 'a')];
    const declared = new PartitionRun(countPerPage('partitionKey').pipeline).batch(records);
    const plain = new PartitionRun(countPerPage().pipeline).batch(records);
    expect(declared.failures).toEqual([]);
    expect(declared.rows).toEqual(plain.rows);
    expect(declared.rows.map((r) => [r.key, r.value])).toEqual([
      ['a', { key: 'a', value: 2 }],
      ['b', { key: 'b', value: 1 }],
    ]);
  });

  it('sends a record whose key is not its partition key to the dead letters with the reason, and counts the rest', () => {
    const records = [view(1, 'a', 'a'), view(2, 'fr', 'user-7'), view(3, 'a', 'a')];
    const run = new PartitionRun(countPerPage('partitionKey').pipeline);
    const outcome = run.batch(records);
    expect(outcome.failures).toHaveLength(1);
    expect(outcome.failures[0]).toMatchObject({ stage: 'keyBy', record: { offset: '2' } });
    expect(outcome.failures[0]?.reason).toBe(
      'keyBy() gave "fr", but the record\'s partition key is "user-7": the job declares ' +
        "keyedBy: 'partitionKey', so every record's key must be its partition key",
    );
    expect(run.stateObject()).toEqual({ '["a"]': 2 });
  });

  it('compares a number key with the partition key as its decimal string', () => {
    const numbered = job({ pipeline: (events) => events.keyBy((e) => e.n).aggregate(count()), keyedBy: 'partitionKey' });
    const outcome = new PartitionRun(numbered.pipeline).batch([{ ...rec(1, { n: 42 }), key: '42' }]);
    expect(outcome.failures).toEqual([]);
    expect(numbered.keyedBy).toBe('partitionKey');
  });

  it('is refused on a pipeline without keyBy, and with any other value', () => {
    expect(() => job({ pipeline: (events) => events, keyedBy: 'partitionKey' })).toThrow(JobSpecError);
    expect(() => job({ pipeline: (events) => events, keyedBy: 'partitionKey' })).toThrow(
      'keyedBy declares how keyBy keys are partitioned, but this pipeline has no keyBy()',
    );
    expect(() => job({ pipeline: (events) => events.keyBy((e) => e.page).aggregate(count()), keyedBy: 'userId' as never })).toThrow(
      'keyedBy must be \'partitionKey\' or left out, got "userId"',
    );
  });
});

describe("keyedBy: 'partitionKey' on Kafka", () => {
  const perUser = (keyedBy?: 'partitionKey') =>
    defineJob({
      name: 'per-user',
      version: 1,
      source: kafkaSource({ topic: 'clicks', startingPosition: 'EARLIEST' }),
      sink: memorySink({ name: 'per-user' }),
      pipeline: (events) => events.keyBy((e: { user: string }) => e.user).aggregate(count()),
      trigger: { type: 'availableNow' },
      ...(keyedBy === undefined ? { keyGroups: 4 } : { keyedBy }),
    });

  it('refuses to plan once the topic gained partitions: Kafka moves keys to them, away from their state', async () => {
    const t = createTestHarness(perUser('partitionKey'), { partitions: ['0', '1'] });
    t.addRecords([{ user: 'u1' }], { partition: '0', key: 'u1' });
    await t.runBatch();
    t.ports.kafka.addPartitions('clicks', ['2']);
    await expect(t.runBatch()).rejects.toThrow(
      "job per-user declares keyedBy: 'partitionKey', so each key's state lives with its Kafka partition, but topic clicks " +
        'now has 3 partitions (was 2; added 2)',
    );
  });

  it('without the declaration, groups through key groups and reads the new partition', async () => {
    const t = createTestHarness(perUser(), { partitions: ['0', '1'] });
    t.addRecords([{ user: 'u1' }], { partition: '0', key: 'u1' });
    await t.runBatch();
    t.ports.kafka.addPartitions('clicks', ['2']);
    t.addRecords([{ user: 'u1' }], { partition: '2', key: 'u1' });
    await t.runBatch();
    expect((await t.sinkValues()).u1).toEqual({ key: 'u1', value: 2 });
  });
});

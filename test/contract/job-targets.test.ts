import { describe, expect, it } from 'vitest';
import { AwsJobTargets, ENGINE_TABLE_USES } from '../../engine/adapters/aws/aws-job-targets.js';
import { createMemoryPorts, MemoryJobTargets } from '../../engine/adapters/memory/index.js';
import { createTestBucket, createTestSinkTable, createTestStream, testAwsClients, uniqueName } from '../support/aws.js';
import { describeJobTargetsContract } from './job-targets.contract.js';

describeJobTargetsContract('memory', () => {
  const ports = createMemoryPorts();
  let n = 0;
  const engineTables = { walTable: 'engine-wal', deadLetterTable: 'engine-dead-letters' };
  return {
    targets: new MemoryJobTargets({
      streams: ports.source,
      topics: ports.kafka,
      lookups: ports.lookups,
      engineTables: {
        [engineTables.walTable]: ENGINE_TABLE_USES.walTable,
        [engineTables.deadLetterTable]: ENGINE_TABLE_USES.deadLetterTable,
      },
    }),
    async createStream() {
      n += 1;
      ports.source.createStream(`stream-${n}`, ['p0']);
      return `stream-${n}`;
    },
    async createTable() {
      n += 1;
      ports.lookups.create(`table-${n}`);
      return `table-${n}`;
    },
    unusedName: () => `unused-${(n += 1)}`,
    engineTables,
  };
});

describeJobTargetsContract('AWS (kinesalite, DynamoDB Local)', () => {
  const engineTables = { walTable: uniqueName('wal'), deadLetterTable: uniqueName('dlq') };
  return {
    targets: new AwsJobTargets({
      clients: testAwsClients(),
      engineTables: {
        [engineTables.walTable]: ENGINE_TABLE_USES.walTable,
        [engineTables.deadLetterTable]: ENGINE_TABLE_USES.deadLetterTable,
      },
    }),
    createStream: () => createTestStream(1, 'targets-stream'),
    createTable: () => createTestSinkTable('targets-table'),
    unusedName: () => uniqueName('unused'),
    engineTables,
  };
});

describe('AwsJobTargets beyond the contract', () => {
  const targets = (topicPresence?: (topic: string) => Promise<'present' | 'missing' | 'unknown'>) =>
    new AwsJobTargets({ clients: testAwsClients(), engineTables: {}, ...(topicPresence ? { topicPresence } : {}) });

  it('finds an S3 bucket (HeadBucket) present or missing, and a sink stream missing', async () => {
    const bucket = await createTestBucket('targets-bucket');
    expect(await targets().presence({ type: 's3-bucket', name: bucket, role: 'sink' })).toBe('present');
    expect(await targets().presence({ type: 's3-bucket', name: uniqueName('nobucket'), role: 'sink' })).toBe('missing');
    expect(await targets().presence({ type: 'kinesis-stream', name: uniqueName('nostream'), role: 'sink' })).toBe('missing');
  });

  it('answers unknown for what it cannot see: a Kafka topic without a topic check, a failing check, a memory stream', async () => {
    expect(await targets().presence({ type: 'kafka-topic', name: 'orders', role: 'source' })).toBe('unknown');
    const failing = targets(async () => {
      throw new Error('brokers unreachable');
    });
    expect(await failing.presence({ type: 'kafka-topic', name: 'orders', role: 'source' })).toBe('unknown');
    expect(
      await targets(async (t) => (t === 'orders' ? 'present' : 'missing')).presence({ type: 'kafka-topic', name: 'x', role: 'sink' }),
    ).toBe('missing');
    expect(await targets().presence({ type: 'memory-stream', name: 'views', role: 'source' })).toBe('unknown');
  });

  it('answers unknown when the call fails for another reason than not found (no permission, unreachable)', async () => {
    const unreachable = new AwsJobTargets({
      clients: {
        ...testAwsClients(),
        kinesis: { send: async () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })) },
      } as never,
      engineTables: {},
    });
    expect(await unreachable.presence({ type: 'kinesis-stream', name: 'orders', role: 'source' })).toBe('unknown');
  });
});

import { PutRecordsCommand, type KinesisClient, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { KinesisSink } from '../../engine/adapters/aws/kinesis-sink.js';
import { MemoryKinesisSink } from '../../engine/adapters/memory/memory-kinesis-sink.js';
import { TransientError, isRetryable } from '../../engine/errors.js';
import type { SinkWrite } from '../../engine/ports/sink.js';
import { envelopeOf, KINESIS_MAX_PARTITION_KEY_LENGTH, validPartitionKey } from '../../engine/sinks/kinesis-records.js';
import { createTestStream, testAwsClients } from '../support/aws.js';
import { describeKinesisSinkContract } from './kinesis-sink.contract.js';

describeKinesisSinkContract('memory twin', async () => {
  const sink = new MemoryKinesisSink();
  return { sink, records: async () => sink.puts.map((p) => p.envelope) };
});

describeKinesisSinkContract('Kinesis (kinesalite)', async () => {
  const streamName = await createTestStream(2, 'kinesis-sink');
  const sink = new KinesisSink({ client: testAwsClients().kinesis, streamName });
  return { sink, records: () => sink.records() };
});

const write = (batchId: number, keys: string[]): SinkWrite => ({
  jobId: 'job',
  batchId,
  generation: 0,
  partition: 'p',
  rows: keys.map((key) => ({ key, value: { key } })),
});

/** A KinesisClient that answers PutRecords from a script: each answer says which entries of the call fail. */
function scriptedClient(failures: ((entry: number) => string | undefined)[]) {
  const calls: { partitionKeys: string[]; keys: string[] }[] = [];
  const client = {
    async send(command: unknown): Promise<PutRecordsCommandOutput> {
      if (!(command instanceof PutRecordsCommand)) throw new Error('only PutRecords is scripted');
      const entries = command.input.Records ?? [];
      calls.push({
        partitionKeys: entries.map((e) => e.PartitionKey!),
        keys: entries.map((e) => envelopeOf(e.Data!)!.key),
      });
      const fail = failures.shift() ?? (() => undefined);
      const records = entries.map((_, i) => {
        const code = fail(i);
        return code === undefined
          ? { ShardId: 'shardId-000000000000', SequenceNumber: String(1000 + calls.length * 1000 + i) }
          : { ErrorCode: code, ErrorMessage: `${code} (scripted)` };
      });
      return { FailedRecordCount: records.filter((r) => 'ErrorCode' in r).length, Records: records, $metadata: {} };
    },
  } as unknown as KinesisClient;
  return { client, calls };
}

describe('KinesisSink: partial failures (a scripted client)', () => {
  it('retries only the failed records, with backoff, until all are stored (throttling is transient)', async () => {
    const { client, calls } = scriptedClient([
      (i) => (i === 1 || i === 3 ? 'ProvisionedThroughputExceededException' : undefined),
      (i) => (i === 0 ? 'InternalFailure' : undefined),
    ]);
    const waits: number[] = [];
    const sink = new KinesisSink({ client, streamName: 's', sleep: async (ms) => void waits.push(ms) });
    expect(await sink.write(write(1, ['a', 'b', 'c', 'd']))).toEqual({ written: 4, skipped: 0 });
    expect(calls.map((c) => c.keys)).toEqual([['a', 'b', 'c', 'd'], ['b', 'd'], ['b']]);
    expect(waits).toHaveLength(2);
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
  });

  it('fails the write with TransientError when records keep failing: the batch is retried, with the same ids', async () => {
    const { client, calls } = scriptedClient(Array.from({ length: 20 }, () => () => 'ProvisionedThroughputExceededException'));
    const sink = new KinesisSink({ client, streamName: 's', sleep: async () => {} });
    await expect(sink.write(write(1, ['a']))).rejects.toBeInstanceOf(TransientError);
    expect(calls.length).toBeGreaterThan(1);
  });

  it('an empty batch makes no call', async () => {
    const { client, calls } = scriptedClient([]);
    const sink = new KinesisSink({ client, streamName: 's' });
    expect(await sink.write(write(1, []))).toEqual({ written: 0, skipped: 0 });
    expect(calls).toEqual([]);
  });

  it('a call that fails as a whole (throttled after the SDK retries) fails the write as retryable: the batch runs again', async () => {
    const throttled = Object.assign(new Error('Rate exceeded for stream s'), { name: 'ProvisionedThroughputExceededException' });
    const client = { send: async () => Promise.reject(throttled) } as unknown as KinesisClient;
    const error = await new KinesisSink({ client, streamName: 's', sleep: async () => {} }).write(write(1, ['a'])).catch((e: unknown) => e);
    expect(error).toBe(throttled);
    expect(isRetryable(error)).toBe(true);
  });

  it('sends 500 records per call at most', async () => {
    const { client, calls } = scriptedClient([]);
    const sink = new KinesisSink({ client, streamName: 's', sleep: async () => {} });
    await sink.write(
      write(
        1,
        Array.from({ length: 1_100 }, (_, i) => `k${i}`),
      ),
    );
    expect(calls.map((c) => c.keys.length)).toEqual([500, 500, 100]);
  });

  it('routes by the row key by default, by partitionKey when given; a key over 256 characters is hashed', async () => {
    const { client, calls } = scriptedClient([]);
    await new KinesisSink({ client, streamName: 's' }).write(write(1, ['a', 'x'.repeat(300)]));
    expect(calls[0]!.partitionKeys).toEqual(['a', validPartitionKey('x'.repeat(300))]);
    expect(calls[0]!.partitionKeys[1]).toHaveLength(64);
    const sink = new KinesisSink({ client, streamName: 's', partitionKey: (row) => `user-${String(row.value.key).slice(0, 1)}` });
    await sink.write(write(2, ['ab', 'ac']));
    expect(calls[1]!.partitionKeys).toEqual(['user-a', 'user-a']);
    expect(validPartitionKey('k'.repeat(KINESIS_MAX_PARTITION_KEY_LENGTH))).toBe('k'.repeat(KINESIS_MAX_PARTITION_KEY_LENGTH));
    expect(validPartitionKey('')).toHaveLength(64);
  });

  it('a row whose partitionKey throws or returns no string is refused (a dead letter), never retried', async () => {
    const { client, calls } = scriptedClient([]);
    const sink = new KinesisSink({
      client,
      streamName: 's',
      partitionKey: (row) => {
        if (row.key === 'boom') throw new Error('no tenant');
        return (row.key === 'num' ? 7 : row.key) as string;
      },
    });
    const result = await sink.write(write(1, ['ok', 'boom', 'num']));
    expect(result.written).toBe(1);
    expect(result.rejected).toEqual([
      { key: 'boom', reason: 'partitionKey threw: no tenant' },
      { key: 'num', reason: 'partitionKey must return a string, got number' },
    ]);
    expect(calls.map((c) => c.keys)).toEqual([['ok']]);
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryUserSink } from '../../../engine/adapters/memory/memory-user-sink.js';
import { TransientError, isRetryable } from '../../../engine/errors.js';
import { JobSpecError } from '../../../engine/errors.js';
import { SinkRejectedError, defineJob, kinesisSink, memorySource, userSink } from '../../../engine/job/index.js';
import type { SinkWrite, UserSinkBatch } from '../../../engine/ports/sink.js';
import { UserSink } from '../../../engine/sinks/user-sink.js';

const write = (batchId: number, keys: string[], generation = 0): SinkWrite => ({
  jobId: 'job',
  batchId,
  generation,
  partition: 'p0',
  rows: keys.map((key) => ({ key, value: { key, batchId } })),
});

describe('UserSink (foreachBatch-style; Spark foreachBatch gets (batch, batchId))', () => {
  it('calls the function once per write with (jobId, generation, batchId, partition, rows), and awaits it', async () => {
    const seen: UserSinkBatch[] = [];
    let finished = false;
    const sink = new UserSink({
      type: 'user',
      name: 'api',
      write: async (batch) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push(batch);
        finished = true;
      },
    });
    expect(await sink.write(write(3, ['a', 'b'], 1))).toEqual({ written: 2, skipped: 0 });
    expect(finished).toBe(true);
    expect(seen).toEqual([
      {
        jobId: 'job',
        generation: 1,
        batchId: 3,
        partition: 'p0',
        rows: [
          { key: 'a', value: { key: 'a', batchId: 3 } },
          { key: 'b', value: { key: 'b', batchId: 3 } },
        ],
      },
    ]);
    expect(Object.isFrozen(seen[0]!.rows)).toBe(true);
  });

  it('does not call the function for an empty batch', async () => {
    let calls = 0;
    const sink = new UserSink({ type: 'user', name: 'api', write: () => void (calls += 1) });
    expect(await sink.write(write(1, []))).toEqual({ written: 0, skipped: 0 });
    expect(calls).toBe(0);
  });

  it('a thrown error is a transient failure of the batch (retried), with the cause kept', async () => {
    const cause = new Error('connection reset');
    const sink = new UserSink({ type: 'user', name: 'api', write: () => Promise.reject(cause) });
    const error = await sink.write(write(1, ['a'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).message).toMatch(/user sink api failed for batch 1 .*connection reset/);
    expect((error as Error).cause).toBe(cause);
  });

  it('SinkRejectedError refuses every row of the call for good: dead letters, not a retry', async () => {
    const sink = new UserSink({
      type: 'user',
      name: 'api',
      write: () => {
        throw new SinkRejectedError('schema mismatch');
      },
    });
    expect(await sink.write(write(1, ['a', 'b']))).toEqual({
      written: 0,
      skipped: 0,
      rejected: [
        { key: 'a', reason: 'user sink api refused it: schema mismatch' },
        { key: 'b', reason: 'user sink api refused it: schema mismatch' },
      ],
    });
  });

  it('SinkRejectedError with keys refuses only those rows; the others count as written', async () => {
    const sink = new UserSink({
      type: 'user',
      name: 'api',
      write: () => {
        throw new SinkRejectedError('bad email', { keys: ['b'] });
      },
    });
    expect(await sink.write(write(1, ['a', 'b', 'c']))).toEqual({
      written: 2,
      skipped: 0,
      rejected: [{ key: 'b', reason: 'user sink api refused it: bad email' }],
    });
  });

  it('the memory twin records every call (a retry included) and scans the latest (generation, batch) per key of the calls that succeeded', async () => {
    let fail = true;
    const sink = new MemoryUserSink({
      type: 'user',
      name: 'api',
      write: (batch) => {
        if (batch.batchId === 2 && fail) {
          fail = false;
          throw new Error('timeout');
        }
      },
    });
    await sink.write(write(1, ['a', 'b']));
    await expect(sink.write(write(2, ['a']))).rejects.toBeInstanceOf(TransientError);
    await sink.write(write(2, ['a']));
    // A zombie of batch 1 comes back after batch 2: the newer row stays.
    await sink.write(write(1, ['a', 'b']));
    expect(sink.calls.map((c) => [c.batch.batchId, c.outcome])).toEqual([
      [1, 'written'],
      [2, 'failed'],
      [2, 'written'],
      [1, 'written'],
    ]);
    expect((await sink.scan()).map((r) => [r.key, r.batchId])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(await sink.get('a')).toEqual({ key: 'a', value: { key: 'a', batchId: 2 }, batchId: 2, generation: 0 });
  });
});

describe('userSink() and kinesisSink() at defineJob', () => {
  const job = (sink: unknown) =>
    defineJob({
      name: 'j',
      version: 1,
      source: memorySource({ streamName: 's' }),
      pipeline: (s) => s.map((e) => e),
      sink: sink as never,
    });

  it('takes an async write (I/O at the end of the batch, not a pipeline function)', () => {
    const spec = userSink({ name: 'api', write: async () => {} });
    expect(job(spec).sink).toMatchObject({ type: 'user', name: 'api' });
  });

  it('refuses a user sink without a name or a write function', () => {
    expect(() => userSink({ name: '', write: () => {} })).toThrow(JobSpecError);
    expect(() => userSink({ name: 'api', write: 'http://x' as never })).toThrow(/userSink\(\)\.write must be a function/);
  });

  it('checks the stream name and partitionKey of a Kinesis sink; an async partitionKey is refused', () => {
    expect(job(kinesisSink({ streamName: 'out', partitionKey: (row) => row.key })).sink).toMatchObject({
      type: 'kinesis',
      streamName: 'out',
    });
    expect(() => kinesisSink({ streamName: 'bad name' })).toThrow(/must be a Kinesis stream name/);
    expect(() => kinesisSink({ streamName: 'out', partitionKey: 'key' as never })).toThrow(/partitionKey must be a function/);
    expect(() => kinesisSink({ streamName: 'out', partitionKey: (async () => 'k') as never })).toThrow(/async functions are not supported/);
  });

  it('names every sink type when the type is unknown', () => {
    expect(() => job({ type: 's3', bucket: 'b' })).toThrow(/must be 'dynamodb', 'memory', 'kinesis', 'kafka', 'user' or 's3files'/);
  });
});

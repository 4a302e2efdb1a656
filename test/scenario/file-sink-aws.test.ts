import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../engine/adapters/aws/s3-blob-store.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import type { FileSink } from '../../engine/file-sink/file-sink.js';
import { count, defineJob, kinesisSource, s3FileSink } from '../../engine/job/index.js';
import { decodeLogEntry, liveEntries, parseLogEntryKey } from '../../engine/protocol/file-sink-log.js';
import { appendToShard, createTestBucket, createTestPorts, createTestStream, shardHashKeys, testAwsClients } from '../support/aws.js';
import { SimulatedCrash, withCrash } from '../support/crash.js';

/**
 * The file sink through the driver on the AWS adapters (kinesalite, DynamoDB Local,
 * s3rver): a keyed count job writes Parquet to its own bucket, dies between a batch's
 * WAL commit and its log entry, and a new driver finishes. The files the log lists,
 * read from S3 with an independent reader, hold every user's exact count.
 */
describe('file sink on the AWS adapters (s3rver)', () => {
  it('writes Parquet through a crash after a WAL commit; the files the log lists hold the exact counts', async () => {
    const [ports, streamName, bucket] = await Promise.all([createTestPorts(), createTestStream(2), createTestBucket('lake')]);
    const hashKeys = await shardHashKeys(streamName);
    const shards = [...hashKeys.keys()].sort();
    const encoder = new TextEncoder();
    const events = Array.from({ length: 60 }, (_, i) => ({ user: `u${i % 4}`, region: i % 2 === 0 ? 'eu' : 'us' }));
    for (const [p, shard] of shards.entries()) {
      await appendToShard(
        streamName,
        shard,
        events.filter((_, i) => i % 2 === p).map((e) => ({ key: e.user, data: encoder.encode(JSON.stringify(e)) })),
        hashKeys,
      );
    }
    const job = defineJob({
      name: 'user-counts-files',
      version: 1,
      source: kinesisSource({ streamName }),
      pipeline: (input) =>
        input
          .map((e: { user: string; region: string }) => e)
          .keyBy((e) => e.user)
          .aggregate(count()),
      // The log is compacted every 2 batches: the sink's reader goes through the compacts, the one below through every entry.
      sink: s3FileSink({ bucket, prefix: 'lake/users', format: 'parquet', partitionBy: (row) => `user=${row.key}`, logCompactInterval: 2 }),
      trigger: { type: 'availableNow' },
      maxRecordsPerPartition: 10,
      keyGroups: 2,
    });
    const crashing = withCrash(ports, { point: 'after-commit', batchId: 2 });
    await expect(runDriver(job, crashing, { executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
    await runDriver(job, ports, { executorAttempts: 1 });

    // Read as a reader outside Sluice would: list the log, keep the live entries, read their files.
    const blobs = new S3BlobStore({ client: testAwsClients().s3, bucket });
    const keys = (await blobs.list('lake/users/_sluice_log/')).filter((k) => parseLogEntryKey('lake/users', k) !== null);
    const entries = await Promise.all(keys.map(async (k) => decodeLogEntry((await blobs.get(k))!, k)));
    expect(entries.map((e) => e.batchId)).toEqual(Array.from({ length: entries.length }, (_, i) => i + 1));
    const newest = new Map<string, { batch: bigint; value: number }>();
    for (const file of liveEntries(entries).flatMap((e) => e.files)) {
      const bytes = (await blobs.get(file.path))!;
      const rows = await parquetReadObjects({
        file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      });
      for (const row of rows) {
        const seen = newest.get(row.pk as string);
        if (seen === undefined || (row.sluiceBatchId as bigint) > seen.batch)
          newest.set(row.pk as string, { batch: row.sluiceBatchId as bigint, value: row.value as number });
      }
    }
    expect(Object.fromEntries([...newest].map(([k, v]) => [k, v.value]))).toEqual({ u0: 15, u1: 15, u2: 15, u3: 15 });
    const viaCompacts = await (ports.sinks(job.sink) as FileSink).committedFiles();
    expect(viaCompacts.every((f) => f.path.startsWith('lake/users/user=u'))).toBe(true);
    expect((await blobs.list('lake/users/_sluice_log/')).some((k) => k.endsWith('.compact.json'))).toBe(true);
    expect(viaCompacts.map((f) => f.path)).toEqual(liveEntries(entries).flatMap((e) => e.files.map((f) => f.path)));
  });
});

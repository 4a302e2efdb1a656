/**
 * Writes records to a Kinesis stream with PutRecords: for the Kinesis sink (kinesis-sink.ts),
 * the demo, the benchmark and tests. Requests hold at most 500 records and 5 MiB. Entries a response reports as failed
 * (throttled) are retried, in their original order, before any later record is sent, so
 * records of one key reach their shard in order unless a later record of the same key
 * succeeded in the same request as an earlier failed one (Kinesis gives no way to undo
 * that; send one record per key per call when strict order matters). A call that fails as
 * a whole is not retried here: the SDK has retried it already (clients.ts).
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { TransientError } from '../../errors.js';
import { retry } from '../../retry.js';
import { missingAs } from './aws-errors.js';
import { defaultSleep, type Sleep } from './dynamodb-util.js';

export { createStream } from './provision.js';

const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
const MAX_ATTEMPTS = 10;

export interface ProducerRecord {
  readonly key: string;
  readonly data: Uint8Array;
  /** Sends the record to the shard whose hash key range holds this (decimal) hash key, not the key's MD5. */
  readonly explicitHashKey?: string;
}

export interface PutResult {
  readonly shardId: string;
  readonly sequenceNumber: string;
}

export interface PutAllOptions {
  /** Called after every request with the records stored so far and the total. */
  readonly onProgress?: (stored: number, total: number) => void;
  readonly sleep?: Sleep;
}

/** Puts every record; returns where each one landed, in input order. */
export async function putAllRecords(
  client: KinesisClient,
  streamName: string,
  records: readonly ProducerRecord[],
  options: PutAllOptions = {},
): Promise<PutResult[]> {
  const sleep = options.sleep ?? defaultSleep;
  const results: PutResult[] = new Array(records.length);
  let stored = 0;
  let next = 0;
  while (next < records.length) {
    // The next chunk: up to 500 records and 5 MiB (a record's size counts its key and data).
    const chunk: number[] = [];
    let bytes = 0;
    while (next < records.length && chunk.length < MAX_RECORDS_PER_CALL) {
      const record = records[next]!;
      const size = record.data.byteLength + Buffer.byteLength(record.key);
      if (chunk.length > 0 && bytes + size > MAX_BYTES_PER_CALL) break;
      chunk.push(next);
      bytes += size;
      next += 1;
    }
    // Send it until every entry is stored, retrying the failed ones before anything later.
    let pending = chunk;
    await retry(
      async (attempt, bail) => {
        const entries: PutRecordsRequestEntry[] = pending.map((i) => {
          const r = records[i]!;
          return {
            PartitionKey: r.key,
            Data: r.data,
            ...(r.explicitHashKey === undefined ? {} : { ExplicitHashKey: r.explicitHashKey }),
          };
        });
        const response = await client
          .send(new PutRecordsCommand({ StreamName: streamName, Records: entries }))
          .catch((error: unknown) => bail(missingAs(error, missingStream(streamName), { stream: streamName })));
        const failed: number[] = [];
        pending.forEach((index, position) => {
          const entry = response.Records?.[position];
          if (entry?.SequenceNumber !== undefined && entry.ShardId !== undefined && entry.ErrorCode === undefined) {
            results[index] = { shardId: entry.ShardId, sequenceNumber: entry.SequenceNumber };
            stored += 1;
          } else {
            failed.push(index);
          }
        });
        pending = failed;
        options.onProgress?.(stored, records.length);
        if (pending.length > 0) {
          throw new TransientError(`Kinesis kept refusing ${pending.length} records for ${streamName} after ${attempt} attempts`, {
            context: { stream: streamName },
          });
        }
      },
      { attempts: MAX_ATTEMPTS, baseDelayMs: 50, maxDelayMs: 2_000, clock: { sleep } },
    );
  }
  return results;
}

function missingStream(streamName: string): string {
  return `Kinesis stream ${streamName} does not exist in this account and region: create it, or fix the stream name the job or command gives`;
}

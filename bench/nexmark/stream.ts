/**
 * Writes generated NEXMark events to a Kinesis stream (kinesalite locally), event i to
 * shard i mod shards (partitions.ts), each event a JSON record.
 */
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createStream, putAllRecords } from '../../engine/adapters/aws/index.js';
import { compareOffsets } from '../../engine/protocol/offsets.js';
import type { NexmarkEvent } from '../../jobs/nexmark/model.js';

export interface WrittenStream {
  readonly shards: number;
  readonly bytes: number;
}

export async function writeNexmarkStream(
  kinesis: KinesisClient,
  streamName: string,
  events: readonly NexmarkEvent[],
  shards: number,
  onProgress?: (stored: number, total: number) => void,
): Promise<WrittenStream> {
  await createStream(kinesis, streamName, shards);
  const listed = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const hashKeys = listed.map((s) => s.HashKeyRange!.StartingHashKey!).sort(compareOffsets);
  if (hashKeys.length !== shards) throw new Error(`stream ${streamName} has ${hashKeys.length} shards, not ${shards}`);
  const encoder = new TextEncoder();
  const records = events.map((e, i) => ({
    key: `e${i}`,
    data: encoder.encode(JSON.stringify(e)),
    explicitHashKey: hashKeys[i % shards]!,
  }));
  await putAllRecords(kinesis, streamName, records, onProgress === undefined ? {} : { onProgress });
  return { shards, bytes: records.reduce((n, r) => n + r.data.byteLength, 0) };
}

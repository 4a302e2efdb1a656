/**
 * The demo's check of its Kinesis sink (`npm start -- --sink kinesis`), independent of the
 * engine's sink code: it reads every record of the sink stream with the Kinesis client,
 * shard by shard from the trim horizon, parses each record's JSON, checks that the copies
 * a retry or a crash left share their id and carry the same data, and keeps, per row key,
 * the newest (generation, batch): what a consumer deduping as docs/sinks describes sees.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';

/** A sink record's envelope (Kinesis record data, Kafka message value): the fields a consumer dedupes on. */
export interface Envelope {
  readonly sluiceId: string;
  readonly generation: number;
  readonly batchId: number;
  /** The batch's scope that wrote it (a source partition, or a key group on stage 2). */
  readonly partition: string;
  readonly key: string;
  readonly value: Record<string, unknown>;
}

export interface StreamedRows {
  /** Row key → the newest record's value. */
  readonly rows: Map<string, Record<string, unknown>>;
  readonly records: number;
  /** Records whose id an earlier record already carried (at-least-once copies). */
  readonly duplicates: number;
  /** Ids whose copies differ: none when the sink's ids are deterministic. */
  readonly conflicts: string[];
}

export async function readStreamedRows(kinesis: KinesisClient, streamName: string): Promise<StreamedRows> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const seen = new Map<string, string>();
  const newest = new Map<string, Envelope>();
  const conflicts: string[] = [];
  let records = 0;
  let duplicates = 0;
  for (const shard of shards) {
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    while (iterator !== undefined) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) {
        records += 1;
        const text = new TextDecoder().decode(record.Data!);
        const envelope = JSON.parse(text) as Envelope;
        const earlier = seen.get(envelope.sluiceId);
        if (earlier !== undefined) {
          duplicates += 1;
          if (earlier !== text) conflicts.push(envelope.sluiceId);
          continue;
        }
        seen.set(envelope.sluiceId, text);
        keepNewest(newest, envelope);
      }
      if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return { rows: new Map([...newest].map(([key, e]) => [key, e.value])), records, duplicates, conflicts };
}

/** Keeps, per row key, the envelope of the highest (generation, batch): a consumer's dedupe rule (docs/sinks). */
export function keepNewest(newest: Map<string, Envelope>, envelope: Envelope): void {
  const held = newest.get(envelope.key);
  const isNewer =
    held === undefined ||
    (envelope.generation !== held.generation ? envelope.generation > held.generation : envelope.batchId > held.batchId);
  if (isNewer) newest.set(envelope.key, envelope);
}

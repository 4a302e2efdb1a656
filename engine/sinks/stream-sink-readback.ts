/**
 * Reading a stream sink's records back: the `records()` of the Kinesis sink
 * (engine/adapters/aws/kinesis-sink.ts) and of the Kafka sink (engine/adapters/kafka/kafka-sink.ts),
 * on which their `scan` and `get` build the deduped view (kinesis-records.ts dedupedView).
 * For tests and checks, never the hot path: the executors may only write the stream.
 *
 * Both sinks write the same envelope (kafka-records.ts reuses the Kinesis one), so one
 * rule reads both: every partition the source reader lists, each from its earliest record
 * to its tail, in offset order, duplicates included. A record that is not one of the
 * sink's envelopes (another producer's data on the same stream) is passed over.
 */
import type { SourceReader } from '../ports/source-reader.js';
import type { StartPosition } from '../protocol/offsets.js';
import { envelopeOf, type KinesisSinkEnvelope } from './kinesis-records.js';

/** Records asked for per read: a page, not a limit (the read goes on until the tail). */
export const READBACK_PAGE_RECORDS = 10_000;

/** Every envelope the sink wrote, partition by partition in offset order: duplicates included. */
export async function readSinkEnvelopes(reader: SourceReader): Promise<KinesisSinkEnvelope[]> {
  const out: KinesisSinkEnvelope[] = [];
  for (const partition of await reader.listPartitions()) {
    let start: StartPosition = { type: 'EARLIEST' };
    for (;;) {
      // A closed Kinesis shard can answer an empty page before its end: say it is closed, so the reader goes on.
      const page = await reader.read({
        partition: partition.id,
        start,
        maxRecords: READBACK_PAGE_RECORDS,
        ...(partition.closed ? { partitionClosed: true } : {}),
      });
      for (const record of page.records) {
        const envelope = envelopeOf(record.data);
        if (envelope !== null) out.push(envelope);
      }
      const last = page.records.at(-1);
      if (page.caughtUp || page.closed || last === undefined) break;
      start = { type: 'AFTER', offset: last.offset };
    }
  }
  return out;
}

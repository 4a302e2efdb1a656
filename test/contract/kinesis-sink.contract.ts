/**
 * The Kinesis sink's rules (engine/sinks/kinesis-records.ts, engine/ports/sink.ts) are the
 * stream sink contract (./stream-sink.contract.ts): at-least-once, every record with a
 * deterministic id, and a deduped view (`scan`) that keeps per row key the record of the
 * highest (generation, batch). What is the Kinesis sink's own: a record of at most 1 MiB
 * (a Kinesis limit, not a setting), and 500 records per PutRecords call.
 */
import { KINESIS_MAX_RECORD_BYTES, KINESIS_MAX_RECORDS_PER_CALL } from '../../engine/sinks/kinesis-records.js';
import { describeStreamSinkContract, type StreamSinkUnderTest } from './stream-sink.contract.js';

export function describeKinesisSinkContract(name: string, make: () => Promise<StreamSinkUnderTest>): void {
  describeStreamSinkContract(
    {
      title: 'Kinesis sink',
      unit: 'record',
      // A shard of the source stream: the scope of a batch's rows.
      partition: 'shardId-000000000000',
      tooLarge: { bytes: KINESIS_MAX_RECORD_BYTES, reason: /above the 1048576-byte limit/, title: 'a Kinesis record' },
      requests: { perRequest: KINESIS_MAX_RECORDS_PER_CALL, rows: 620, title: 'PutRecords calls' },
    },
    name,
    make,
  );
}

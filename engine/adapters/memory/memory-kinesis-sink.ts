import type { Sink, SinkRow, SinkWrite, SinkWriteResult, StoredRow } from '../../ports/sink.js';
import { dedupedView, kinesisRecordsOf, writeResultOf, type KinesisSinkEnvelope } from '../../sinks/kinesis-records.js';

/** One record as the memory twin stored it: its partition key and what its data holds. */
export interface MemoryKinesisPut {
  readonly partitionKey: string;
  readonly envelope: KinesisSinkEnvelope;
}

/**
 * The memory twin of the Kinesis sink (engine/adapters/aws/kinesis-sink.ts): the same
 * records (engine/sinks/kinesis-records.ts), appended to a list on every write, duplicates
 * included, as a stream would hold them. `scan()` and `get()` are what a consumer deduping
 * by id sees; `puts` is every record put, in order.
 */
export class MemoryKinesisSink implements Sink {
  private readonly stored: MemoryKinesisPut[] = [];

  constructor(private readonly partitionKey?: (row: SinkRow) => string) {}

  /** Every record put so far, in order: a retried write's records appear again, with the same ids. */
  get puts(): readonly MemoryKinesisPut[] {
    return this.stored.map((p) => structuredClone(p));
  }

  async write(request: SinkWrite): Promise<SinkWriteResult> {
    const { records, rejected } = kinesisRecordsOf(request, this.partitionKey);
    for (const record of records) this.stored.push(structuredClone({ partitionKey: record.partitionKey, envelope: record.envelope }));
    return writeResultOf(request, rejected);
  }

  async get(key: string): Promise<StoredRow | null> {
    return (await this.scan()).find((row) => row.key === key) ?? null;
  }

  async scan(): Promise<StoredRow[]> {
    return structuredClone(dedupedView(this.stored.map((p) => p.envelope)));
  }
}

import type { Sink, SinkRow, SinkWrite, SinkWriteResult, StoredRow } from '../../ports/sink.js';
import { dedupedView, kafkaMessagesOf, type KafkaSinkEnvelope, writeResultOf } from '../../sinks/kafka-records.js';

/** One message as the memory twin stored it: its key, headers and what its value holds. */
export interface MemoryKafkaSend {
  readonly key: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly envelope: KafkaSinkEnvelope;
}

/**
 * The memory twin of the Kafka sink (engine/adapters/kafka/kafka-sink.ts): the same
 * messages (engine/sinks/kafka-records.ts), appended to a list on every write, duplicates
 * included, as a topic would hold them. `scan()` and `get()` are what a consumer deduping
 * by id sees; `sends` is every message sent, in order.
 */
export class MemoryKafkaSink implements Sink {
  private readonly stored: MemoryKafkaSend[] = [];

  constructor(private readonly options: { readonly key?: (row: SinkRow) => string; readonly maxMessageBytes?: number } = {}) {}

  /** Every message sent so far, in order: a retried write's messages appear again, with the same ids. */
  get sends(): readonly MemoryKafkaSend[] {
    return this.stored.map((s) => structuredClone(s));
  }

  async write(request: SinkWrite): Promise<SinkWriteResult> {
    const { messages, rejected } = kafkaMessagesOf(request, {
      ...(this.options.key === undefined ? {} : { keyOf: this.options.key }),
      ...(this.options.maxMessageBytes === undefined ? {} : { maxMessageBytes: this.options.maxMessageBytes }),
    });
    for (const m of messages) this.stored.push(structuredClone({ key: m.key, headers: m.headers, envelope: m.envelope }));
    return writeResultOf(request, rejected);
  }

  async get(key: string): Promise<StoredRow | null> {
    return (await this.scan()).find((row) => row.key === key) ?? null;
  }

  async scan(): Promise<StoredRow[]> {
    return structuredClone(dedupedView(this.stored.map((s) => s.envelope)));
  }
}

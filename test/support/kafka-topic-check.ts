/**
 * Reads every message of a Kafka sink's topic, raw (key, headers, value), partition by
 * partition from offset 0 to the high watermark, and dedupes them as
 * docs/sinks/kafka.md tells a consumer to: by the `sluice-id` header, keeping per row key
 * the newest (generation, batch). Every copy of an id must carry the same key, headers
 * and value as its first copy; the ids whose copies differ are returned as conflicts.
 * Nothing here uses the sink's own code: only Fetch requests and JSON.parse.
 */
import { KafkaClients } from '../../engine/adapters/kafka/kafka-clients.js';
import { keepNewest, type Envelope } from '../../local/demo/stream-check.js';

export interface TopicRows {
  /** Row key → the newest message's row value. */
  readonly rows: Map<string, Record<string, unknown>>;
  readonly messages: number;
  /** Messages whose `sluice-id` an earlier message carried (at-least-once copies). */
  readonly duplicates: number;
  /** The copies by the write that sent them again: "generation/batch/scope" → copies. */
  readonly duplicatesByWrite: Map<string, number>;
  /** Ids whose copies differ in key, headers or value. */
  readonly conflicts: string[];
  /** Messages whose headers disagree with their value's id, generation or batch. */
  readonly malformed: string[];
}

export async function readTopicRows(brokers: readonly string[], topic: string): Promise<TopicRows> {
  const clients = new KafkaClients({ brokers: [...brokers], clientId: 'kill-nine-check' });
  try {
    const admin = await clients.admin();
    const partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.map((p) => p.partitionId);
    const firstCopy = new Map<string, string>();
    const newest = new Map<string, Envelope>();
    const conflicts: string[] = [];
    const malformed: string[] = [];
    let messages = 0;
    let duplicates = 0;
    const duplicatesByWrite = new Map<string, number>();
    for (const partition of partitions) {
      for (let offset = 0n, empty = 0; ; ) {
        const fetched = await clients.fetch({ topic, partition, offset: offset.toString(), maxWaitMs: 100, maxBytes: 10_000_000 });
        if (offset >= BigInt(fetched.highWatermark)) break;
        const page = fetched.messages.filter((m) => BigInt(m.offset) >= offset);
        if (page.length === 0 && (empty += 1) > 50)
          throw new Error(`${topic}/${partition}: no message at ${offset} below ${fetched.highWatermark}`);
        for (const m of page) {
          messages += 1;
          const raw = (m as unknown as { headers?: Record<string, Buffer> }).headers ?? {};
          const headers = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.toString('utf8')]));
          const value = m.value!.toString('utf8');
          const envelope = JSON.parse(value) as Envelope;
          const id = headers['sluice-id'] ?? '';
          if (
            id !== envelope.sluiceId ||
            headers['sluice-generation'] !== String(envelope.generation) ||
            headers['sluice-batch'] !== String(envelope.batchId)
          ) {
            malformed.push(`${partition}@${m.offset}`);
          }
          const copy = JSON.stringify({ key: m.key?.toString('utf8'), headers, value });
          const earlier = firstCopy.get(id);
          if (earlier !== undefined) {
            duplicates += 1;
            const write = `${envelope.generation}/${envelope.batchId}/${envelope.partition}`;
            duplicatesByWrite.set(write, (duplicatesByWrite.get(write) ?? 0) + 1);
            if (earlier !== copy) conflicts.push(id);
            continue;
          }
          firstCopy.set(id, copy);
          keepNewest(newest, envelope);
        }
        if (page.length > 0) offset = BigInt(page.at(-1)!.offset) + 1n;
      }
    }
    return { rows: new Map([...newest].map(([key, e]) => [key, e.value])), messages, duplicates, duplicatesByWrite, conflicts, malformed };
  } finally {
    await clients.close();
  }
}

/**
 * The Kafka sink (Amazon MSK): at-least-once, every message with a deterministic id
 * (engine/sinks/kafka-records.ts has the message format and the consumer's dedupe rule).
 *
 * A write sends one message per row key with the connection's shared producer
 * (KafkaClients.producer): acks=all (-1), so a send returns once every in-sync replica has
 * the messages; in produce requests of at most 1,000 messages and the message limit's
 * bytes, in order. kafkajs retries a failed request itself; an error it still reports is
 * TransientError when the broker or kafkajs calls it retriable (a leader election, a
 * timeout, a lost connection), and the batch is retried, sending every message again:
 * duplicates with the same ids. A non-retriable error (an authorization failure, an
 * unknown topic once kafkajs gave up) fails the batch as it is.
 *
 * Not idempotent and not transactional: the producer's own retries may write a request
 * twice, and so may the batch's retries. Which crashes lead to duplicates:
 *   - a retry after a partial or complete send: a write that sent some requests (or all
 *     of them) and then failed, or an executor that died after its write and before the
 *     batch's commit, is run again and sends every message again;
 *   - a zombie: an executor the driver gave up on (a Lambda timeout) still sends its
 *     messages, possibly after the next batch's, so an older version of a row can follow a
 *     newer one in its partition;
 *   - a replay appends the replayed batches' messages under a higher generation.
 * In every case a duplicate carries the id of the first copy, and the (generation, batch)
 * in each message tells the consumer which version of a row is newest. Exactly-once would
 * need a transactional producer (docs/sinks/kafka.md, "The transactional design").
 *
 * A row no message can carry (over `maxMessageBytes` with its envelope, key and headers)
 * is refused for good and becomes a dead letter (the write's `rejected`).
 *
 * `get` and `scan` read the whole topic back through a source reader when one is given
 * (tests and checks; the executors are granted WriteData only); `records()` gives the raw
 * messages, duplicates included, read as the Kinesis sink reads its stream
 * (engine/sinks/stream-sink-readback.ts).
 */
import type { Producer } from 'kafkajs';
import kafkajs from 'kafkajs';
import { TransientError } from '../../errors.js';
import type { Sink, SinkRow, SinkWrite, SinkWriteResult, StoredRow } from '../../ports/sink.js';
import type { SourceReader } from '../../ports/source-reader.js';
import {
  chunkMessages,
  dedupedView,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  kafkaMessagesOf,
  type KafkaSinkEnvelope,
  writeResultOf,
} from '../../sinks/kafka-records.js';
import { readSinkEnvelopes } from '../../sinks/stream-sink-readback.js';

/** The part of a kafkajs Producer the sink uses. */
export type KafkaSinkProducer = Pick<Producer, 'send'>;

export interface KafkaSinkOptions {
  /** The connection's shared producer (KafkaClients.producer). */
  readonly producer: () => Promise<KafkaSinkProducer>;
  readonly topic: string;
  readonly key?: (row: SinkRow) => string;
  /** Default 1 MiB, a broker's default message.max.bytes: raise both together. */
  readonly maxMessageBytes?: number;
  /** Reads the topic back for `get`, `scan` and `records` (tests and checks). */
  readonly reader?: SourceReader;
}

export class KafkaSink implements Sink {
  constructor(private readonly options: KafkaSinkOptions) {}

  async write(request: SinkWrite): Promise<SinkWriteResult> {
    const maxBytes = this.options.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    const { messages, rejected } = kafkaMessagesOf(request, {
      ...(this.options.key === undefined ? {} : { keyOf: this.options.key }),
      maxMessageBytes: maxBytes,
    });
    if (messages.length > 0) {
      const producer = await this.options.producer().catch((error: unknown) => {
        throw asTransient(error, this.options.topic);
      });
      for (const chunk of chunkMessages(messages, maxBytes)) {
        try {
          await producer.send({
            topic: this.options.topic,
            acks: -1,
            messages: chunk.map((m) => ({
              key: m.key,
              value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
              headers: { ...m.headers },
            })),
          });
        } catch (error) {
          throw asTransient(error, this.options.topic);
        }
      }
    }
    return writeResultOf(request, rejected);
  }

  async get(key: string): Promise<StoredRow | null> {
    return (await this.scan()).find((row) => row.key === key) ?? null;
  }

  async scan(): Promise<StoredRow[]> {
    return dedupedView(await this.records());
  }

  /** Every message of this sink in the topic, partition by partition in offset order: duplicates included. Needs `reader`. */
  async records(): Promise<KafkaSinkEnvelope[]> {
    return this.options.reader === undefined ? [] : readSinkEnvelopes(this.options.reader);
  }
}

/**
 * A kafkajs error that kafkajs or the broker calls retriable (and a lost connection or a
 * timeout) as TransientError, so the batch is retried; any other error as it is.
 */
export function asTransient(error: unknown, topic: string): unknown {
  if (error instanceof TransientError) return error;
  const retriable =
    (error instanceof kafkajs.KafkaJSError && error.retriable) ||
    error instanceof kafkajs.KafkaJSNumberOfRetriesExceeded ||
    error instanceof kafkajs.KafkaJSConnectionError ||
    error instanceof kafkajs.KafkaJSRequestTimeoutError ||
    isNetworkError(error);
  if (!retriable) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TransientError(`sending to Kafka topic ${topic} failed: ${message}`, { cause: error, context: { topic } });
}

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)$/.test(code);
}

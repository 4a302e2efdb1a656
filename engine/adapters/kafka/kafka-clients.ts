/**
 * The Kafka clients of one connection, shared by every reader on it: the kafkajs client,
 * an admin client (metadata, ListOffsets) and the internal cluster the readers' Fetch
 * requests go through (kafkajs-internals.ts). They are created once per connection and
 * reused by every reader and every read, so a warm Lambda keeps its broker connections;
 * `close` ends them. They are built on first use, after the connection's SCRAM secret, if
 * it names one, is read (resolveKafkaAuth): once per KafkaClients, so once per Lambda
 * container, and again after a broker refuses the credentials.
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import kafkajs from 'kafkajs';
import { InvariantError } from '../../errors.js';
import { checkKafkaConnection, kafkaClientConfig, type KafkaClientOptions, type KafkaConnection } from './kafka-config.js';
import { resolveKafkaAuth } from './kafka-secrets.js';
import { KafkaSourceReader, type KafkaAdmin, type KafkaReaderTuning, type PartitionFetcher } from './kafka-source-reader.js';
import { fetchFromLeader, internalCluster, type InternalCluster } from './kafkajs-internals.js';

/** The Kafka clients of one connection (see the header), each connected on first use. */
export class KafkaClients {
  private kafkaClient: Promise<Kafka> | undefined;
  private adminClient: Promise<Admin> | undefined;
  private cluster: Promise<InternalCluster> | undefined;
  private producerClient: Promise<Producer> | undefined;
  private readonly readers = new Map<string, KafkaSourceReader>();
  private closed = false;

  constructor(
    readonly connection: KafkaConnection,
    private readonly options: KafkaClientOptions = {},
  ) {
    // A bad configuration fails here, when the ports are built; the secret is read later.
    checkKafkaConnection(connection);
  }

  /**
   * The kafkajs client, built on first use with the credentials resolved. A failed
   * resolution (a throttled GetSecretValue) is forgotten, so the next call tries again.
   */
  kafka(): Promise<Kafka> {
    if (this.closed) return Promise.reject(this.closedError());
    return (this.kafkaClient ??= resolveKafkaAuth(this.connection, this.options).then(
      (resolved) => new kafkajs.Kafka(kafkaClientConfig(resolved, this.options)),
      (error: unknown) => {
        this.kafkaClient = undefined;
        throw error;
      },
    ));
  }

  admin(): Promise<KafkaAdmin> {
    if (this.closed) return Promise.reject(this.closedError());
    return (this.adminClient ??= connectOnce(
      async () => (await this.kafka()).admin(),
      (admin) => admin.connect(),
      (error) => {
        this.adminClient = undefined;
        this.forgetCredentialsAfter(error);
      },
    ));
  }

  /**
   * A broker that refuses the SCRAM credentials (a rotated password) makes the next
   * connection read the secret again, rather than retry the old password for the life of
   * the container.
   */
  private forgetCredentialsAfter(error: unknown): void {
    if (error instanceof Error && error.name === 'KafkaJSSASLAuthenticationError') this.kafkaClient = undefined;
  }

  /**
   * The producer of the Kafka sink (kafka-sink.ts), shared by every sink on this
   * connection: acks=all per send, not idempotent (see kafka-sink.ts for why), no topic
   * auto-creation (a misspelt sink topic is an error, not a new topic), the key's murmur2
   * partitioner (Java's default, so a row key lands where a Java producer would put it).
   */
  producer(): Promise<Producer> {
    if (this.closed) return Promise.reject(this.closedError());
    return (this.producerClient ??= connectOnce(
      async () =>
        (await this.kafka()).producer({
          allowAutoTopicCreation: false,
          idempotent: false,
          createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
        }),
      (producer) => producer.connect(),
      (error) => {
        this.producerClient = undefined;
        this.forgetCredentialsAfter(error);
      },
    ));
  }

  /** Fetch requests to partition leaders, through kafkajs's internal cluster (kafkajs-internals.ts). */
  readonly fetch: PartitionFetcher = async (request) => fetchFromLeader(await this.fetchCluster(), request);

  /** Forgets the cached metadata (after NOT_LEADER_FOR_PARTITION and the like). */
  async refreshMetadata(): Promise<void> {
    if (this.cluster !== undefined) await (await this.cluster).refreshMetadata();
  }

  /** The reader of a topic on this connection (one per topic, reused). */
  reader(topic: string, options: KafkaReaderTuning = {}): KafkaSourceReader {
    this.assertOpen();
    let reader = this.readers.get(topic);
    if (reader === undefined) {
      reader = new KafkaSourceReader({
        ...options,
        topic,
        admin: () => this.admin(),
        fetch: this.fetch,
        refreshMetadata: () => this.refreshMetadata(),
      });
      this.readers.set(topic, reader);
    }
    return reader;
  }

  /** Disconnects every client. Safe to call more than once; the clients cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const admin = this.adminClient;
    const cluster = this.cluster;
    const producer = this.producerClient;
    this.adminClient = undefined;
    this.cluster = undefined;
    this.producerClient = undefined;
    await Promise.all([
      admin?.then((a) => a.disconnect()).catch(() => {}),
      cluster?.then((c) => c.disconnect()).catch(() => {}),
      producer?.then((p) => p.disconnect()).catch(() => {}),
    ]);
  }

  private fetchCluster(): Promise<InternalCluster> {
    if (this.closed) return Promise.reject(this.closedError());
    return (this.cluster ??= connectOnce(
      async () => internalCluster(await this.kafka()),
      (cluster) => cluster.connect(),
      (error) => {
        this.cluster = undefined;
        this.forgetCredentialsAfter(error);
      },
    ));
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  /** A call after close(): the owner closes the clients only when nothing reads any more. */
  private closedError(): InvariantError {
    return new InvariantError(`the Kafka clients of ${this.connection.brokers.join(',')} are closed`);
  }
}

/** Creates and connects a client once; a failed creation or connection is forgotten so the next call tries again. */
async function connectOnce<T>(
  create: () => Promise<T>,
  connect: (client: T) => Promise<void>,
  forget: (error: unknown) => void,
): Promise<T> {
  try {
    const client = await create();
    await connect(client);
    return client;
  } catch (error) {
    forget(error);
    throw error;
  }
}

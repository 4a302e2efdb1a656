/**
 * The one place the engine reaches inside kafkajs: Fetch requests sent to a partition's
 * leader through the cluster and broker objects kafkajs's own consumer uses (why not a
 * consumer: kafka-source-reader.ts and docs/kafka.md, "Why Fetch requests and not a
 * consumer"). Everything else uses kafkajs's public API.
 *
 * Written against kafkajs 2.2.4 exactly (KAFKAJS_VERSION; package.json pins it and
 * test/unit/kafka/kafkajs-internals.test.ts fails when another version is installed).
 * kafkajs's development has stopped at 2.2.x, so a new version is unlikely, but none of
 * what follows is public, and any release may change it:
 *
 * - `Kafka[Symbol('private:Kafka:createCluster')]`: the private method a Kafka client
 *   builds its clusters with, found by the Symbol's description (src/index.js). It takes
 *   { allowAutoTopicCreation, metadataMaxAge } and returns a Cluster with the client's
 *   brokers, TLS, SASL, timeouts and socket factory.
 * - Cluster (src/cluster/index.js): connect(), disconnect(), addTargetTopic(topic),
 *   refreshMetadata(), findLeaderForPartitions(topic, partitions) (node id to partitions)
 *   and findBroker({ nodeId }).
 * - Broker.fetch (src/broker/index.js): the request { isolationLevel, maxWaitTime,
 *   minBytes, maxBytes, topics: [{ topic, partitions: [{ partition, fetchOffset,
 *   maxBytes }] }] } and the decoded response { responses: [{ topicName, partitions }] },
 *   each partition with highWatermark, lastStableOffset, abortedTransactions and
 *   messages (offset, key, value, timestamp, and the batch fields kafka-records.ts reads).
 *
 * What breaks if they change: a renamed Symbol or method fails at the first read with
 * the errors below (a plain Error: the read is not retried); a changed request or
 * response shape fails the fixed-range contract suite (test/contract/
 * kafka-source-reader.test.ts) on a real Kafka protocol implementation. Planning
 * (metadata, ListOffsets) uses the public admin API and is not affected. If kafkajs
 * breaks or is abandoned for good, docs/kafka.md ("If kafkajs breaks") says what replaces it.
 */
import type { Kafka } from 'kafkajs';
import kafkajs from 'kafkajs';
import { InvariantError } from '../../errors.js';
import type { FetchedPartition, PartitionFetcher } from './kafka-source-reader.js';

/** The kafkajs version this file was written against. */
export const KAFKAJS_VERSION = '2.2.4';

/** Kafka's READ_COMMITTED isolation level (the protocol's value). */
const READ_COMMITTED = 1;

interface InternalBroker {
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: FetchedPartition[] }[] }>;
}

/** The part of kafkajs's internal Cluster the reader uses. */
export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<InternalBroker>;
}

/** A new, unconnected cluster of the client's brokers, built the way the client builds its consumer's. */
export function internalCluster(kafka: Kafka): InternalCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = symbol === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (typeof create !== 'function') {
    throw new InvariantError(`this kafkajs has no internal createCluster: the Kafka reader is written against kafkajs ${KAFKAJS_VERSION}`);
  }
  const cluster = (create as (options: object) => InternalCluster)({ allowAutoTopicCreation: false, metadataMaxAge: 60_000 });
  for (const method of ['connect', 'disconnect', 'addTargetTopic', 'refreshMetadata', 'findLeaderForPartitions', 'findBroker'] as const) {
    if (typeof cluster[method] !== 'function') {
      throw new InvariantError(
        `kafkajs's internal cluster has no ${method}(): the Kafka reader is written against kafkajs ${KAFKAJS_VERSION}`,
      );
    }
  }
  return cluster;
}

/**
 * One read_committed Fetch request for one partition, sent to its leader. A partition
 * without a known leader refreshes the metadata and fails with a retriable KafkaJSError.
 */
export async function fetchFromLeader(cluster: InternalCluster, request: Parameters<PartitionFetcher>[0]): Promise<FetchedPartition> {
  const { topic, partition, offset, maxWaitMs, maxBytes } = request;
  await cluster.addTargetTopic(topic);
  const leaders = cluster.findLeaderForPartitions(topic, [partition]);
  const nodeId = Object.keys(leaders)[0];
  if (nodeId === undefined) {
    await cluster.refreshMetadata();
    throw new kafkajs.KafkaJSError(`no leader known for partition ${partition} of topic ${topic}`, { retriable: true });
  }
  const broker = await cluster.findBroker({ nodeId });
  const response = await broker.fetch({
    isolationLevel: READ_COMMITTED,
    maxWaitTime: maxWaitMs,
    minBytes: 1,
    maxBytes,
    topics: [{ topic, partitions: [{ partition, fetchOffset: offset, maxBytes }] }],
  });
  const found = response.responses.find((r) => r.topicName === topic)?.partitions.find((p) => p.partition === partition);
  if (found === undefined)
    throw new kafkajs.KafkaJSError(`the fetch response holds no partition ${partition} of ${topic}`, { retriable: true });
  return found;
}

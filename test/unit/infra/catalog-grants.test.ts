/**
 * What a deployment grants for its catalog (infra/catalog-grants.ts), and how it extends
 * the settings (infra/catalog-settings.ts): every target of every job, or synthesis fails
 * naming the job and what is missing.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalogEntry, type JobCatalog } from '../../../engine/driver/catalog.js';
import {
  count,
  defineJob,
  dynamoDbSink,
  dynamoDbTable,
  kafkaSink,
  kafkaSource,
  kinesisSink,
  kinesisSource,
  memorySink,
  memorySource,
  s3FileSink,
  tumbling,
  userSink,
  type JobSource,
} from '../../../engine/job/index.js';
import type { SinkSpec } from '../../../engine/ports/sink.js';
import { deriveCatalogGrants } from '../../../infra/catalog-grants.js';
import { withCatalogTargets } from '../../../infra/catalog-settings.js';
import { catalog as projectCatalog } from '../../../jobs/catalog.js';

interface Order {
  readonly customer: string;
  readonly amount: number;
  readonly ts: number;
}

/** Sum of order amounts per customer per minute, with every kind of output. */
function orderTotals(options: { source?: JobSource; sink?: SinkSpec; name?: string } = {}) {
  return defineJob({
    name: options.name ?? 'order-totals',
    version: 1,
    source: options.source ?? kinesisSource({ streamName: 'orders' }),
    decode: 'json',
    pipeline: (orders) =>
      orders
        .map((o: Order) => o)
        .lookup(dynamoDbTable({ tableName: 'customers', key: 'customerId' }), {
          key: (o) => o.customer,
          join: 'left',
          select: (o) => o,
        })
        .withWatermark((o) => o.ts, { allowedLatenessMs: 10_000 })
        .keyBy((o) => o.customer)
        .window(tumbling({ sizeMs: 60_000 }))
        .aggregate(count()),
    sink: options.sink ?? dynamoDbSink({ tableName: 'order-totals' }),
    lateRecords: { sink: dynamoDbSink({ tableName: 'late-orders' }) },
    deadLetters: { sink: kinesisSink({ streamName: 'bad-orders' }) },
    outputMode: 'update',
    trigger: { type: 'interval', intervalMs: 1_000 },
  });
}

const NO_KAFKA = { kafka: false } as const;

describe('deriveCatalogGrants', () => {
  it('grants a plain job entry its source, sink, late records, dead letters and lookups', () => {
    const grants = deriveCatalogGrants({ 'order-totals': orderTotals() } as unknown as JobCatalog, NO_KAFKA);
    expect(grants).toEqual({
      sourceStreams: ['orders'],
      sourceTopics: [],
      sinkTables: ['order-totals'],
      lateRecordTables: ['late-orders'],
      sinkStreams: ['bad-orders'],
      sinkTopics: [],
      sinkFiles: [],
      lookupTables: ['customers'],
      instances: ['order-totals'],
    });
  });

  it("builds the project's catalog with its defaults: page-views reads clickstream and writes page-views; smoke reads and writes sluice-smoke", () => {
    const grants = deriveCatalogGrants(projectCatalog, NO_KAFKA);
    expect(grants.sourceStreams).toEqual(['clickstream', 'sluice-smoke']);
    expect(grants.sinkTables).toEqual(['page-views', 'sluice-smoke']);
    expect(grants.instances).toEqual(['page-views', 'smoke']);
  });

  it('builds each listed parameter set instead of the defaults, and none for []', () => {
    const listed = deriveCatalogGrants(projectCatalog, {
      kafka: true,
      parameters: { 'page-views': [{ streamName: 'clicks-eu' }, { topic: 'clicks', sinkFiles: 'views/parquet' }], smoke: [] },
    });
    expect(listed.sourceStreams).toEqual(['clicks-eu']);
    expect(listed.sourceTopics).toEqual(['clicks']);
    expect(listed.sinkTables).toEqual(['page-views']);
    expect(listed.sinkFiles).toEqual(['views/parquet']);
    expect(listed.instances).toHaveLength(2);
    const none = deriveCatalogGrants(projectCatalog, { kafka: false, parameters: { 'page-views': [], smoke: [] } });
    expect(none.sourceStreams).toEqual([]);
    expect(none.sinkTables).toEqual([]);
  });

  it('fails naming the job and the parameter when its defaults cannot build it', () => {
    const catalog: JobCatalog = {
      'per-region': catalogEntry({
        description: 'orders of one region',
        parameters: z.strictObject({ region: z.string() }),
        create: (p) => orderTotals({ name: 'per-region', source: kinesisSource({ streamName: `orders-${p.region}` }) }),
      }),
    };
    expect(() => deriveCatalogGrants(catalog, NO_KAFKA)).toThrow(
      /cannot derive the grants of job per-region: it cannot be built with its default parameters.*sluice:jobParameters.*region/,
    );
    expect(deriveCatalogGrants(catalog, { kafka: false, parameters: { 'per-region': [{ region: 'eu' }] } }).sourceStreams).toEqual([
      'orders-eu',
    ]);
  });

  it('fails naming the job when a Kafka source or sink has no cluster to be on', () => {
    const reads = { 'topic-totals': orderTotals({ source: kafkaSource({ topic: 'orders' }) }) } as unknown as JobCatalog;
    expect(() => deriveCatalogGrants(reads, NO_KAFKA)).toThrow(
      /job topic-totals reads Kafka topic "orders", but the deployment has no Kafka cluster: give context sluice:kafka/,
    );
    expect(deriveCatalogGrants(reads, { kafka: true }).sourceTopics).toEqual(['orders']);
    const writes = { 'to-topic': orderTotals({ sink: kafkaSink({ topic: 'totals' }) }) } as unknown as JobCatalog;
    expect(() => deriveCatalogGrants(writes, NO_KAFKA)).toThrow(
      /job to-topic writes Kafka topic "totals", but the deployment has no Kafka/,
    );
  });

  it('fails on memory sources and sinks (the harness only), and grants nothing for a user sink', () => {
    const memory = { m: orderTotals({ source: memorySource({ streamName: 'orders' }) }) } as unknown as JobCatalog;
    expect(() => deriveCatalogGrants(memory, NO_KAFKA)).toThrow(/job m reads a memory stream/);
    const memorySinkJob = { m: orderTotals({ sink: memorySink({ name: 'out' }) }) } as unknown as JobCatalog;
    expect(() => deriveCatalogGrants(memorySinkJob, NO_KAFKA)).toThrow(/job m writes a memory sink/);
    const user = { u: orderTotals({ sink: userSink({ name: 'http', write: () => undefined }) }) } as unknown as JobCatalog;
    expect(deriveCatalogGrants(user, NO_KAFKA).sinkTables).toEqual([]);
  });

  it('refuses parameters for jobs the catalog does not have, or that take none', () => {
    expect(() => deriveCatalogGrants(projectCatalog, { kafka: false, parameters: { 'page-veiws': [] } })).toThrow(
      /sluice:jobParameters names job "page-veiws", which is not in the catalog \(known: page-views, smoke\)/,
    );
    const plain = { 'order-totals': orderTotals() } as unknown as JobCatalog;
    expect(() => deriveCatalogGrants(plain, { kafka: false, parameters: { 'order-totals': [{ x: 1 }] } })).toThrow(
      /job order-totals takes no parameters/,
    );
  });

  it('names file sinks in other buckets as s3://bucket/prefix', () => {
    const files = { f: orderTotals({ sink: s3FileSink({ bucket: 'lake', prefix: 'orders/totals', format: 'jsonl' }) }) };
    expect(deriveCatalogGrants(files as unknown as JobCatalog, NO_KAFKA).sinkFiles).toEqual(['s3://lake/orders/totals']);
  });
});

describe('withCatalogTargets', () => {
  const grants = deriveCatalogGrants({ 'order-totals': orderTotals() } as unknown as JobCatalog, NO_KAFKA);

  it('adds every target the settings do not name', () => {
    expect(withCatalogTargets({ sources: {}, sinks: {}, lookups: {} }, grants)).toEqual({
      sources: { kinesis: { streams: ['orders'] } },
      sinks: { tables: ['order-totals'], lateRecordTables: ['late-orders'], streams: ['bad-orders'] },
      lookups: { tables: ['customers'] },
    });
  });

  it('keeps what the settings name, as they name it, and adds nothing twice', () => {
    const settings = {
      sources: { kinesis: { streams: ['arn:aws:kinesis:eu-west-1:123456789012:stream/orders'] } },
      sinks: { createTables: ['order-totals'], createLateRecordTables: ['late-orders'], streams: ['bad-orders'], tables: ['audit'] },
      lookups: { tables: ['customers'] },
    };
    expect(withCatalogTargets(settings, grants)).toEqual(settings);
    const created = withCatalogTargets(
      { sources: { kinesis: { createStream: { streamName: 'orders' } } }, sinks: {}, lookups: {} },
      grants,
    );
    expect(created.sources).toEqual({ kinesis: { createStream: { streamName: 'orders' } } });
  });

  it('extends an explicit list of Kafka topics, and leaves "every topic" alone', () => {
    const topics = deriveCatalogGrants({ t: orderTotals({ source: kafkaSource({ topic: 'orders' }) }) } as unknown as JobCatalog, {
      kafka: true,
    });
    const kafka = { bootstrapServers: ['b-1:9098'], vpc: {} as never };
    expect(
      withCatalogTargets({ sources: { kafka: { ...kafka, topics: ['clicks'] } }, sinks: {}, lookups: {} }, topics).sources.kafka?.topics,
    ).toEqual(['clicks', 'orders']);
    expect(withCatalogTargets({ sources: { kafka }, sinks: {}, lookups: {} }, topics).sources.kafka?.topics).toBeUndefined();
  });
});

/**
 * What the jobs API's functions are granted on the jobs' own targets, derived from the
 * catalog (infra/catalog-grants.ts): the control function describes each target a start
 * checks (engine/api/job-targets.ts) and nothing else of it; the read function scans the
 * sink tables and reads the file sinks' log and files (GET /jobs/{jobId}/results); both
 * get the variables their context reads (functions/environment.ts). Every grant names its
 * resources: no `*`.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobCatalog } from '../../engine/driver/catalog.js';
import {
  count,
  defineJob,
  dynamoDbSink,
  dynamoDbTable,
  kafkaSource,
  kinesisSink,
  kinesisSource,
  s3FileSink,
  tumbling,
  type JobSource,
} from '../../engine/job/index.js';
import type { SinkSpec } from '../../engine/ports/sink.js';
import { ENV } from '../../functions/env.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { logicalId, policyStatements, testApp, type Json } from './support.js';

const customers = dynamoDbTable({ tableName: 'customers', key: 'customerId' });

/** Orders per customer per minute: a lookup, late records and dead letters to tables of their own. */
function orderTotals(source: JobSource = kinesisSource({ streamName: 'orders' })) {
  return defineJob({
    name: 'order-totals',
    version: 1,
    source,
    decode: 'json',
    pipeline: (orders) =>
      orders
        .lookup(customers, { key: (o: { customer: string }) => o.customer, join: 'left', select: (o) => o })
        .withWatermark((o: { ts: number }) => o.ts, { allowedLatenessMs: 10_000 })
        .keyBy((o: { customer: string }) => o.customer)
        .window(tumbling({ sizeMs: 60_000 }))
        .aggregate(count()),
    sink: dynamoDbSink({ tableName: 'order-totals' }),
    lateRecords: { sink: dynamoDbSink({ tableName: 'late-orders' }) },
    deadLetters: { sink: dynamoDbSink({ tableName: 'order-errors' }) },
    outputMode: 'update',
    trigger: { type: 'interval', intervalMs: 1_000 },
  });
}

/** The orders copied as they come to `sink`. */
function copy(name: string, sink: SinkSpec) {
  return defineJob({
    name,
    version: 1,
    source: kinesisSource({ streamName: 'orders' }),
    decode: 'json',
    pipeline: (orders) => orders.map((o: { id: string }) => o),
    sink,
    outputMode: 'append',
    trigger: { type: 'interval', intervalMs: 1_000 },
  });
}

const catalog = {
  'order-totals': orderTotals(),
  'order-lake': copy('order-lake', s3FileSink({ bucket: 'analytics-lake', prefix: 'orders', format: 'jsonl' })),
  'order-exports': copy('order-exports', s3FileSink({ prefix: 'exports/orders', format: 'jsonl' })),
  'order-events': copy('order-events', kinesisSink({ streamName: 'order-events' })),
} as unknown as JobCatalog;

describe("the jobs API's grants on the catalog's targets", () => {
  let stack: SluiceStack;
  let template: Template;
  let resources: Record<string, Json>;

  beforeAll(() => {
    stack = new SluiceStack(testApp(), 'Sluice', { catalog });
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  });

  const statements = (fn: 'apiRead' | 'apiControl') => policyStatements(stack, template, stack.api.functions[fn].role!);
  /** The statements that allow `action`, each as its actions, resources (JSON) and condition. */
  const allowing = (fn: 'apiRead' | 'apiControl', action: string) =>
    statements(fn)
      .filter((s) => [s.Action].flat().includes(action))
      .map((s) => ({ actions: [s.Action].flat(), resources: [s.Resource].flat().map((r) => JSON.stringify(r)), condition: s.Condition }));
  /** The actions a function may do on resources whose ARN contains `name`. */
  const actionsOn = (fn: 'apiRead' | 'apiControl', name: string) =>
    statements(fn)
      .filter((s) => [s.Resource].flat().some((r) => JSON.stringify(r).includes(name)))
      .flatMap((s) => [s.Action].flat())
      .sort();
  const environment = (fn: 'apiRead' | 'apiControl') =>
    (resources[logicalId(stack, stack.api.functions[fn])]!.Properties as { Environment: { Variables: Json } }).Environment.Variables;

  it('lets the control function describe the streams the jobs read and write, and nothing more', () => {
    const [describe, ...more] = allowing('apiControl', 'kinesis:DescribeStreamSummary');
    expect(more).toEqual([]);
    expect(describe!.actions).toEqual(['kinesis:DescribeStreamSummary']);
    expect(describe!.resources).toHaveLength(2);
    expect(describe!.resources.join(' ')).toContain(':stream/orders"');
    expect(describe!.resources.join(' ')).toContain(':stream/order-events"');
    expect(actionsOn('apiControl', ':stream/orders"')).toEqual(['kinesis:DescribeStreamSummary']);
    expect(actionsOn('apiControl', ':stream/order-events"')).toEqual(['kinesis:DescribeStreamSummary']);
  });

  it('lets it describe the sink, dead-letter sink, late-records and lookup tables, and nothing more', () => {
    const [describe, ...more] = allowing('apiControl', 'dynamodb:DescribeTable').filter((s) => s.actions.length === 1);
    expect(more).toEqual([]);
    const tables = ['order-totals', 'order-errors', 'late-orders', 'customers'];
    expect(describe!.resources).toHaveLength(tables.length);
    for (const table of tables) {
      expect(describe!.resources.join(' '), table).toContain(`:table/${table}"`);
      expect(actionsOn('apiControl', `:table/${table}"`), table).toEqual(['dynamodb:DescribeTable']);
    }
  });

  it("lets it ask for the head of a file sink's own bucket (s3:ListBucket on it), and of no other", () => {
    // Statements with the same conditions merge: the unconditioned ListBucket names the checkpoint bucket (the copy) and this one.
    const heads = allowing('apiControl', 's3:ListBucket').filter((s) => s.condition === undefined);
    expect(heads.map((s) => s.actions)).toEqual([['s3:ListBucket']]);
    expect(heads[0]!.resources.sort()).toEqual(
      [
        JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, stack.storage.checkpointBucket), 'Arn'] }),
        JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::analytics-lake']] }),
      ].sort(),
    );
    expect(actionsOn('apiControl', 'analytics-lake')).toEqual(['s3:ListBucket']);
    // The checkpoint bucket's file sink is no target of the check: no more than the checkpoint copy it had.
    expect(JSON.stringify(statements('apiControl'))).not.toContain('exports/orders');
  });

  it('names the dead-letter table to the control function, which a start refuses as a target, and grants nothing on it', () => {
    const deadLetters = logicalId(stack, stack.storage.deadLetterTable);
    expect(environment('apiControl')).toMatchObject({
      [ENV.deadLetterTable]: { Ref: deadLetters },
      [ENV.walTable]: { Ref: logicalId(stack, stack.storage.walTable) },
      [ENV.checkpointBucket]: { Ref: logicalId(stack, stack.storage.checkpointBucket) },
      [ENV.driverStateMachineArn]: { Ref: logicalId(stack, stack.driver.driver) },
    });
    expect(actionsOn('apiControl', deadLetters)).toEqual([]);
  });

  it('lets the read function scan every sink table the catalog derives, and do nothing else on them', () => {
    const [scan, ...more] = allowing('apiRead', 'dynamodb:Scan').filter((s) => s.actions.length === 1);
    expect(more).toEqual([]);
    expect(stack.sinkTables.map((t) => t.tableName)).toEqual(expect.arrayContaining(['order-totals', 'order-errors']));
    for (const table of ['order-totals', 'order-errors']) {
      expect(scan!.resources.join(' '), table).toContain(`:table/${table}"`);
      expect(actionsOn('apiRead', `:table/${table}"`), table).toEqual(['dynamodb:Scan']);
    }
    for (const table of ['late-orders', 'customers']) expect(actionsOn('apiRead', `:table/${table}"`), table).toEqual([]);
  });

  it("lets the read function list each file sink's log and get the objects under its prefix, and write nothing", () => {
    const checkpoint = logicalId(stack, stack.storage.checkpointBucket);
    const gets = allowing('apiRead', 's3:GetObject');
    expect(gets.map((s) => s.actions)).toEqual([['s3:GetObject']]);
    expect(gets[0]!.resources.sort()).toEqual(
      [
        JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::analytics-lake/orders/*']] }),
        JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [checkpoint, 'Arn'] }, '/exports/orders/*']] }),
      ].sort(),
    );
    const lists = allowing('apiRead', 's3:ListBucket');
    expect(lists.map((s) => s.condition)).toEqual([
      { StringLike: { 's3:prefix': ['orders/_sluice_log/*'] } },
      { StringLike: { 's3:prefix': ['exports/orders/_sluice_log/*'] } },
    ]);
    expect(lists[1]!.resources).toEqual([JSON.stringify({ 'Fn::GetAtt': [checkpoint, 'Arn'] })]);
    const actions = statements('apiRead').flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('s3:')).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:ListBucket']);
    expect(environment('apiRead')).toMatchObject({ [ENV.checkpointBucket]: { Ref: checkpoint } });
  });

  it('grants no action on every resource (`*`) beyond X-Ray, in either function', () => {
    for (const fn of ['apiRead', 'apiControl'] as const) {
      const everywhere = statements(fn).filter((s) => [s.Resource].flat().includes('*'));
      expect(
        everywhere.flatMap((s) => [s.Action].flat()).filter((a) => !a.startsWith('xray:')),
        fn,
      ).toEqual([]);
      const describes = statements(fn).filter((s) => [s.Action].flat().some((a) => /Describe(StreamSummary|Table)$/.test(a)));
      expect(JSON.stringify(describes.map((s) => s.Resource)), fn).not.toContain('*');
    }
  });

  it('reports nothing unacknowledged in cdk-nag, file sinks included', () => {
    const app = testApp();
    new SluiceStack(app, 'Sluice', { catalog });
    app.synth();
    const findings = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});

describe('a Kafka job', () => {
  it('gives the control function nothing on the cluster or the topic: the driver finds a missing topic', () => {
    const kafka = {
      bootstrapServers: ['b-1.events.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'],
      clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/events/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2',
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a'],
      privateSubnetIds: ['subnet-0123456789abcdef0'],
      privateSubnetRouteTableIds: ['rtb-0123456789abcdef0'],
      createGatewayEndpoints: false,
    };
    const kafkaCatalog = { 'order-totals': orderTotals(kafkaSource({ topic: 'orders-topic' })) } as unknown as JobCatalog;
    const stack = new SluiceStack(testApp({ 'sluice:kafka': JSON.stringify(kafka) }), 'Sluice', { catalog: kafkaCatalog });
    const template = Template.fromStack(stack);
    const control = JSON.stringify(policyStatements(stack, template, stack.api.functions.apiControl.role!));
    expect(control).not.toContain('kafka-cluster:');
    expect(control).not.toContain('orders-topic');
    // Its tables are still described.
    expect(control).toContain(':table/order-totals');
  });
});

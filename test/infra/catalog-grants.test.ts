/**
 * The stack grants what its catalog's jobs read and write (infra/catalog-grants.ts), with
 * no setting naming them: a job's sink table gets exactly the sink grants (stage 1 read
 * and write, stage 2 conditional puts, nobody else anything), its stream the source
 * grants; a target that cannot be granted fails synthesis naming the job.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobCatalog } from '../../engine/driver/catalog.js';
import { count, defineJob, dynamoDbSink, kafkaSource, kinesisSource, tumbling, type JobSource } from '../../engine/job/index.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { allowed, testApp } from './support.js';

function orderTotals(source: JobSource = kinesisSource({ streamName: 'orders' })) {
  return defineJob({
    name: 'order-totals',
    version: 1,
    source,
    decode: 'json',
    pipeline: (orders) =>
      orders
        .map((o: { customer: string; ts: number }) => o)
        .withWatermark((o) => o.ts, { allowedLatenessMs: 10_000 })
        .keyBy((o) => o.customer)
        .window(tumbling({ sizeMs: 60_000 }))
        .aggregate(count()),
    sink: dynamoDbSink({ tableName: 'order-totals' }),
    outputMode: 'update',
    trigger: { type: 'interval', intervalMs: 1_000 },
  });
}

/** A catalog with the one plain entry a user writes: `{ 'order-totals': orderTotals }`. */
const catalog = { 'order-totals': orderTotals() } as unknown as JobCatalog;

const FUNCTIONS = ['startGeneration', 'plan', 'execute', 'route', 'executeGroups', 'finish', 'endGeneration', 'supervisor'] as const;

describe("a catalog job's grants", () => {
  let stack: SluiceStack;
  let template: Template;

  beforeAll(() => {
    stack = new SluiceStack(testApp(), 'Sluice', { catalog });
    template = Template.fromStack(stack);
  });

  /** The actions a function may do on resources whose ARN ends with `suffix`. */
  const actionsOn = (name: (typeof FUNCTIONS)[number], suffix: string) =>
    [...allowed(stack, template, stack.driver.functions[name].role!)]
      .filter(([, resources]) => resources.some((r) => r.includes(`${suffix}"`)))
      .map(([action]) => action)
      .sort();

  it('gives its sink table exactly the sink grants: stage 1 reads and writes, stage 2 puts, no other function anything', () => {
    expect(actionsOn('execute', ':table/order-totals')).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
      ].sort(),
    );
    expect(actionsOn('executeGroups', ':table/order-totals')).toEqual(['dynamodb:PutItem']);
    for (const name of ['startGeneration', 'plan', 'route', 'finish', 'endGeneration', 'supervisor'] as const) {
      expect(actionsOn(name, ':table/order-totals'), name).toEqual([]);
    }
  });

  it('lets the planner and stage 1 read its stream, the supervisor check it for a parked job, and no other function', () => {
    for (const name of ['plan', 'execute'] as const) {
      expect(actionsOn(name, ':stream/orders'), name).toEqual(expect.arrayContaining(['kinesis:GetRecords', 'kinesis:ListShards']));
    }
    expect(actionsOn('supervisor', ':stream/orders')).toEqual(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards']);
    for (const name of ['startGeneration', 'route', 'executeGroups', 'finish', 'endGeneration'] as const) {
      expect(actionsOn(name, ':stream/orders'), name).toEqual([]);
    }
  });

  it('grants nothing for a job the deployment says it does not run', () => {
    const without = new SluiceStack(testApp({ 'sluice:jobParameters': JSON.stringify({ 'order-totals': [] }) }), 'Sluice', { catalog });
    const grants = JSON.stringify([...allowed(without, Template.fromStack(without), without.driver.functions.execute.role!)]);
    expect(grants).not.toContain('table/order-totals');
    expect(grants).not.toContain('stream/orders');
  });

  it("grants the project catalog's demo job by default: page-views reads clickstream and writes page-views", () => {
    const demo = new SluiceStack(testApp(), 'Sluice');
    const grants = JSON.stringify([...allowed(demo, Template.fromStack(demo), demo.driver.functions.executeGroups.role!)]);
    expect(grants).toContain('table/page-views');
  });

  it('fails synthesis naming the job when it reads a Kafka topic and the deployment has no cluster', () => {
    const kafkaCatalog = { 'order-totals': orderTotals(kafkaSource({ topic: 'orders' })) } as unknown as JobCatalog;
    expect(() => new SluiceStack(testApp(), 'Sluice', { catalog: kafkaCatalog })).toThrow(
      /job order-totals reads Kafka topic "orders", but the deployment has no Kafka cluster: give context sluice:kafka/,
    );
  });

  it('fails synthesis on a malformed sluice:jobParameters, naming the key', () => {
    expect(() => new SluiceStack(testApp({ 'sluice:jobParameters': '{"order-totals": {}}' }), 'Sluice', { catalog })).toThrow(
      /context sluice:jobParameters: .*order-totals.* must be a list of parameter objects/,
    );
  });
});

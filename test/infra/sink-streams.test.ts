/**
 * The Kinesis streams the jobs write (kinesisSink), from CDK context or props like the sink
 * tables: the executors of both stages may put records on them (kinesis:PutRecords) and do
 * nothing else with them; no other function touches them.
 */
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { allowed, testApp } from './support.js';

function stackWith(args: { props?: ConstructorParameters<typeof SluiceStack>[2]; context?: Record<string, unknown> }) {
  const stack = new SluiceStack(testApp(args.context ?? {}), 'Sluice', args.props ?? {});
  return { stack, template: Template.fromStack(stack) };
}

/** The actions a function may do on resources whose ARN mentions `stream`. */
function actionsOn(stack: SluiceStack, template: Template, name: keyof SluiceStack['driver']['functions'], stream: string): string[] {
  return [...allowed(stack, template, stack.driver.functions[name].role!)]
    .filter(([, resources]) => resources.some((r) => r.includes(stream)))
    .map(([action]) => action)
    .sort();
}

describe('sink streams (kinesisSink)', () => {
  it.each([
    ['props', { props: { sinks: { streams: ['page-counts-out', 'arn:aws:kinesis:eu-west-1:123456789012:stream/orders-out'] } } }],
    ['context', { context: { 'sluice:sinkStreams': 'page-counts-out, arn:aws:kinesis:eu-west-1:123456789012:stream/orders-out' } }],
    [
      'context as a JSON list',
      { context: { 'sluice:sinkStreams': ['page-counts-out', 'arn:aws:kinesis:eu-west-1:123456789012:stream/orders-out'] } },
    ],
  ])('from %s: both stages may PutRecords on each stream, and only that; no other function touches them', (_, given) => {
    const { stack, template } = stackWith(given);
    expect(stack.sinkStreams).toHaveLength(2);
    for (const stream of ['stream/page-counts-out', 'stream/orders-out']) {
      expect(actionsOn(stack, template, 'execute', stream), stream).toEqual(['kinesis:PutRecords']);
      expect(actionsOn(stack, template, 'executeGroups', stream), stream).toEqual(['kinesis:PutRecords']);
      for (const name of ['plan', 'route', 'finish', 'startGeneration', 'endGeneration', 'supervisor'] as const) {
        expect(actionsOn(stack, template, name, stream), `${name} on ${stream}`).toEqual([]);
      }
    }
  });

  it('leaves the source streams as they were: a sink stream is not readable by the executors', () => {
    const { stack, template } = stackWith({ context: { 'sluice:sinkStreams': 'out', 'sluice:kinesisStreams': 'clicks' } });
    expect(actionsOn(stack, template, 'execute', 'stream/out')).toEqual(['kinesis:PutRecords']);
    expect(actionsOn(stack, template, 'execute', 'stream/clicks')).toContain('kinesis:GetRecords');
  });

  it('refuses a stream name Kinesis would refuse', () => {
    expect(() => stackWith({ context: { 'sluice:sinkStreams': 'bad name' } })).toThrow(/a Kinesis stream name is 1 to 128/);
  });

  it('grants encryption with the stream key when the driver is given the stream as a construct', () => {
    const app = testApp();
    const keys = new Stack(app, 'Keys');
    const key = new kms.Key(keys, 'OutKey');
    const imported = kinesis.Stream.fromStreamAttributes(keys, 'Out', {
      streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/enc-out',
      encryptionKey: key,
    });
    const stack = new SluiceStack(app, 'Sluice', { driver: { sinkStreams: [imported] } });
    const grants = allowed(stack, Template.fromStack(stack), stack.driver.functions.executeGroups.role!);
    expect(grants.get('kinesis:PutRecords')?.join(' ')).toContain('stream/enc-out');
    expect([...grants.keys()]).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey*']));
  });

  it('no sink streams by default', () => {
    expect(stackWith({}).stack.sinkStreams).toEqual([]);
  });
});

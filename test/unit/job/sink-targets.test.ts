/** A sink's target identity (engine/job/sink-targets.ts): what the job registry records an owner for. */
import { describe, expect, it } from 'vitest';
import { sinkTargetOf, sinkTargetsOf } from '../../../engine/job/sink-targets.js';
import type { SinkSpec } from '../../../engine/ports/sink.js';

const files = (prefix: string, over: Partial<Extract<SinkSpec, { type: 's3files' }>> = {}): SinkSpec => ({
  type: 's3files',
  prefix,
  format: 'jsonl',
  maxFileBytes: 1_024,
  ...over,
});

describe('sinkTargetOf', () => {
  it('names the place each kind of sink writes, and which may be shared', () => {
    expect(
      [
        { type: 'dynamodb', tableName: 'order-totals' },
        files('out/totals'),
        files('out/totals', { bucket: 'lake' }),
        { type: 'kinesis', streamName: 'totals' },
        { type: 'kafka', topic: 'totals' },
        { type: 'user', name: 'crm', write: () => {} },
        { type: 'memory', name: 'out' },
      ].map((spec) => sinkTargetOf(spec as SinkSpec)),
    ).toEqual([
      { id: 'dynamodb:order-totals', description: 'DynamoDB table order-totals', shared: false },
      { id: 's3files:/out/totals', description: "files under the checkpoint bucket's out/totals/", shared: false },
      { id: 's3files:lake/out/totals', description: 'files under s3://lake/out/totals/', shared: false },
      { id: 'kinesis:totals', description: 'Kinesis stream totals', shared: true },
      { id: 'kafka:totals', description: 'Kafka topic totals', shared: true },
      { id: 'user:crm', description: 'user sink crm', shared: false },
      { id: 'memory:out', description: 'memory sink out', shared: false },
    ]);
  });

  it('ignores what does not change the place: a file format, a stream partition key function', () => {
    expect(sinkTargetOf(files('out', { format: 'parquet' })).id).toBe(sinkTargetOf(files('out')).id);
    expect(sinkTargetOf({ type: 'kinesis', streamName: 's', partitionKey: (r) => r.key }).id).toBe('kinesis:s');
    expect(sinkTargetOf({ type: 'dynamodb', tableName: 'T' }).id).not.toBe(sinkTargetOf({ type: 'dynamodb', tableName: 't' }).id);
  });
});

describe('sinkTargetsOf', () => {
  it("lists every role's sinks once, in the order the job names them", () => {
    const targets = sinkTargetsOf({
      sinks: [
        { type: 'dynamodb', tableName: 'totals' },
        { type: 'kinesis', streamName: 'totals' },
      ],
      outputs: { alerts: [files('alerts'), files('alerts', { format: 'parquet' })] },
      lateRecords: { sink: { type: 'dynamodb', tableName: 'late' } },
      deadLetters: { sink: { type: 'memory', name: 'dead' } },
    });
    expect(targets.map((t) => t.id)).toEqual(['dynamodb:totals', 'kinesis:totals', 's3files:/alerts', 'dynamodb:late', 'memory:dead']);
  });
});

import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import { TrackedState } from '../../../engine/executor/tracked-state.js';
import {
  count,
  defineJob,
  dynamoDbSink,
  kafkaSource,
  kinesisSource,
  memorySink,
  memorySource,
  sum,
  tumbling,
  type JobSpec,
} from '../../../engine/job/index.js';

const valid = {
  name: 'page-views',
  version: 1,
  source: kinesisSource({ streamName: 'clicks' }),
  pipeline: (events: any) =>
    events
      .withWatermark((e: any) => e.ts, { allowedLatenessMs: 10_000 })
      .keyBy((e: any) => e.page)
      .window(tumbling({ sizeMs: 60_000 }))
      .aggregate(count()),
  sink: dynamoDbSink({ tableName: 'page-views' }),
} satisfies JobSpec;

/** The message defineJob throws for the valid job with `changes` applied. */
function errorOf(changes: Record<string, unknown>): string {
  try {
    defineJob({ ...valid, ...changes } as JobSpec);
  } catch (error) {
    expect(error).toBeInstanceOf(JobSpecError);
    return (error as Error).message;
  }
  throw new Error('defineJob did not throw');
}

describe('defineJob', () => {
  it('fills in the defaults', () => {
    const job = defineJob(valid);
    expect(job.name).toBe('page-views');
    expect(job.version).toBe(1);
    expect(job.source).toEqual({ spec: { type: 'kinesis', streamName: 'clicks' }, startingPosition: 'EARLIEST' });
    expect(job.sink).toEqual({ type: 'dynamodb', tableName: 'page-views' });
    expect(job.outputMode).toBe('update');
    expect(job.trigger).toEqual({ type: 'interval', intervalMs: 1000 });
    expect(job.maxRecordsPerPartition).toBe(10_000);
    expect(job.checkpoint).toEqual({ snapshotEvery: 10, retainBatches: 100 });
    expect(job.pipeline.allowedLatenessMs).toBe(10_000);
  });

  it('keeps the settings it is given', () => {
    const job = defineJob({
      ...valid,
      source: memorySource({ streamName: 'in', startingPosition: { timestamp: 1_700_000_000_000 } }),
      sink: memorySink({ name: 'out' }),
      outputMode: 'append',
      trigger: { type: 'availableNow' },
      maxRecordsPerPartition: 500,
      checkpoint: { retainBatches: 3 },
    });
    expect(job.source).toEqual({ spec: { type: 'memory', streamName: 'in' }, startingPosition: { timestamp: 1_700_000_000_000 } });
    expect(job.sink).toEqual({ type: 'memory', name: 'out' });
    expect(job.outputMode).toBe('append');
    expect(job.trigger).toEqual({ type: 'availableNow' });
    expect(job.maxRecordsPerPartition).toBe(500);
    expect(job.checkpoint).toEqual({ snapshotEvery: 10, retainBatches: 3 });
  });

  it('returns a deeply frozen definition', () => {
    const job = defineJob(valid);
    for (const part of [job, job.source, job.source.spec, job.sink, job.trigger, job.checkpoint, job.pipeline]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
  });

  it('calls the pipeline function once, when the job is defined', () => {
    let calls = 0;
    const job = defineJob({ ...valid, pipeline: (s) => (calls++, s) });
    expect(calls).toBe(1);
    job.pipeline.run({ records: [], state: new TrackedState(new Map()), watermarkMs: null, timeMs: 0, batchId: 1, partition: 'p' });
    expect(calls).toBe(1);
  });

  it.each([
    [{ name: 'Page-Views' }, 'name must be 1-63 lower-case letters, digits or \'-\', starting with a letter or digit, got "Page-Views"'],
    [{ name: '-x' }, 'name must be 1-63 lower-case letters'],
    [{ name: 'a'.repeat(64) }, 'name must be 1-63 lower-case letters'],
    [{ name: undefined }, 'got undefined'],
    [{ version: 0 }, 'job page-views: version must be a positive integer, got 0'],
    [{ version: 1.5 }, 'job page-views: version must be a positive integer, got 1.5'],
    [{ version: '1' }, 'job page-views: version must be a positive integer, got "1"'],
    [{ maxRecordsPerPartition: 0 }, 'job page-views: maxRecordsPerPartition must be a positive integer, got 0'],
    [{ maxRecordsPerPartition: Infinity }, 'maxRecordsPerPartition must be a positive integer, got Infinity'],
    [{ trigger: { type: 'interval', intervalMs: -1 } }, 'job page-views: trigger.intervalMs must be a positive integer, got -1'],
    [{ trigger: { type: 'interval' } }, 'trigger.intervalMs must be a positive integer, got undefined'],
    [{ trigger: { type: 'once' } }, "job page-views: trigger.type must be 'interval' or 'availableNow', got \"once\""],
    [{ trigger: 'availableNow' }, 'trigger must be an object, got "availableNow"'],
    [{ checkpoint: { snapshotEvery: 0 } }, 'job page-views: checkpoint.snapshotEvery must be a positive integer, got 0'],
    [{ checkpoint: { retainBatches: 2.5 } }, 'job page-views: checkpoint.retainBatches must be a positive integer, got 2.5'],
    [{ checkpoint: { retain: 5 } }, 'checkpoint.retain is not a checkpoint setting (snapshotEvery, retainBatches)'],
    [{ outputMode: 'complete' }, "job page-views: outputMode must be 'update' or 'append', got \"complete\""],
    [{ decode: 'avro' }, "decode must be 'json', 'utf8' or a function of the record, got \"avro\""],
    [{ outputmode: 'append' }, 'job page-views: outputmode is not a job field'],
    [
      { source: { spec: { type: 'pulsar', streamName: 'x' }, startingPosition: 'EARLIEST' } },
      "source.spec.type must be 'kinesis', 'kafka' or 'memory', got \"pulsar\"",
    ],
    [
      { source: { spec: { type: 'kafka', streamName: 'x' }, startingPosition: 'EARLIEST' } },
      "source.spec.topic must be a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -, not '.' or '..'), got undefined",
    ],
    [
      { source: { spec: { type: 'kinesis', streamName: 'x' }, startingPosition: 'EARLIEST', failOnDataLoss: false } },
      'source.failOnDataLoss applies to Kafka sources only, not kinesis',
    ],
    [
      { source: { spec: { type: 'kafka', topic: 'x' }, startingPosition: 'EARLIEST', failOnDataLoss: 'no' } },
      'source.failOnDataLoss must be true or false, got "no"',
    ],
    [
      { source: { spec: { type: 'kafka', topic: 'x' }, startingPosition: 'EARLIEST', hashKeyOf: () => 1n } },
      'source.hashKeyOf applies to Kinesis sources only (Kafka partitions do not split)',
    ],
    [
      { source: { spec: { type: 'kinesis', streamName: 'x' }, startingPosition: 'NOW' } },
      "source.startingPosition must be 'EARLIEST', 'LATEST' or { timestamp }, got \"NOW\"",
    ],
    [{ sink: { type: 'dynamodb', tableName: 'x' } }, 'sink.tableName must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -), got "x"'],
    [{ sink: { type: 's3' } }, "sink.type must be 'dynamodb', 'memory', 'kinesis', 'kafka', 'user' or 's3files', got \"s3\""],
    [{ sink: undefined }, 'sink must be an object, got undefined'],
  ])('rejects %j', (changes, message) => {
    expect(errorOf(changes)).toContain(message);
  });

  it('names the field in the error context', () => {
    try {
      defineJob({ ...valid, version: -1 });
    } catch (error) {
      expect((error as JobSpecError).context).toEqual({ field: 'version', job: 'page-views' });
      expect((error as JobSpecError).retryable).toBe(false);
    }
    expect.assertions(2);
  });

  describe('pipelines', () => {
    it('rejects append mode for a windowed aggregation without a watermark, and says to add withWatermark', () => {
      expect(
        errorOf({
          outputMode: 'append',
          pipeline: (s: any) =>
            s
              .keyBy((e: any) => e.k)
              .window(tumbling({ sizeMs: 10 }))
              .aggregate(count()),
        }),
      ).toBe(
        "job page-views: outputMode 'append' with a windowed aggregation needs an event-time watermark to know when a window is complete: add .withWatermark(eventTimeFn, { allowedLatenessMs }) before keyBy()",
      );
    });

    it('rejects append mode for a running aggregate without a window', () => {
      expect(
        errorOf({
          outputMode: 'append',
          pipeline: (s: any) =>
            s
              .withWatermark((e: any) => e.ts, { allowedLatenessMs: 0 })
              .keyBy((e: any) => e.k)
              .aggregate(count()),
        }),
      ).toContain("outputMode 'append' needs a windowed aggregation");
    });

    it('accepts append mode for stateless pipelines', () => {
      expect(defineJob({ ...valid, outputMode: 'append', pipeline: (s) => s.map((e) => e) }).outputMode).toBe('append');
    });

    it.each([
      [
        'returns nothing',
        () => undefined,
        'pipeline must return the stream it was given, transformed (did you forget a return?), got undefined',
      ],
      ['returns a plain object', () => ({ map: 1 }), 'got an object (Object)'],
      [
        'ends with keyBy',
        (s: any) => s.keyBy((e: any) => e.k),
        'pipeline ends with keyBy(): add .aggregate(...) or .window(...).aggregate(...)',
      ],
      [
        'ends with window',
        (s: any) => s.keyBy((e: any) => e.k).window(tumbling({ sizeMs: 5 })),
        'pipeline ends with window(): add .aggregate(...)',
      ],
      ['is not a function', 'events => events', 'pipeline must be a function, got "events => events"'],
      [
        'throws',
        () => {
          throw new Error('boom');
        },
        'pipeline threw while building the pipeline: boom',
      ],
      [
        'declares withWatermark twice',
        (s: any) => s.withWatermark(() => 1, { allowedLatenessMs: 0 }).withWatermark(() => 1, { allowedLatenessMs: 0 }),
        'pipeline: withWatermark() may be declared once per pipeline',
      ],
      [
        'gives a negative lateness',
        (s: any) => s.withWatermark(() => 1, { allowedLatenessMs: -1 }),
        'pipeline: withWatermark().allowedLatenessMs must be a finite number >= 0, got -1',
      ],
      ['passes map a non-function', (s: any) => s.map('page'), 'pipeline: map() must be a function, got "page"'],
      [
        'gives sum a non-function',
        (s: any) => s.keyBy((e: any) => e.k).aggregate(sum('n' as any)),
        'pipeline: sum() must be a function, got "n"',
      ],
      [
        'uses a bad window',
        (s: any) => s.keyBy((e: any) => e.k).window({ type: 'hopping', sizeMs: 5 }),
        "pipeline: window().type must be 'tumbling', 'sliding' or 'session', got \"hopping\"",
      ],
    ])('rejects a pipeline function that %s', (_what, pipeline, message) => {
      expect(errorOf({ pipeline })).toContain(message);
    });

    it('rejects a stream taken from another job', () => {
      let stolen: unknown;
      defineJob({ ...valid, name: 'other', pipeline: (s) => ((stolen = s.map((e) => e)), s) });
      expect(errorOf({ pipeline: () => stolen })).toContain('pipeline must return a stream derived from its own input');
    });
  });
});

describe('sources and sinks', () => {
  it('builds specs with defaults', () => {
    expect(kinesisSource({ streamName: 'clicks', startingPosition: 'LATEST' })).toEqual({
      spec: { type: 'kinesis', streamName: 'clicks' },
      startingPosition: 'LATEST',
    });
    expect(memorySource({ streamName: 'in' }).startingPosition).toBe('EARLIEST');
    expect(memorySink({ name: 'out' })).toEqual({ type: 'memory', name: 'out' });
    expect(dynamoDbSink({ tableName: 'views' })).toEqual({ type: 'dynamodb', tableName: 'views' });
    expect(dynamoDbSink({ tableName: 'views', writes: 'puts' })).toEqual({ type: 'dynamodb', tableName: 'views', writes: 'puts' });
    expect(kafkaSource({ topic: 'clicks.v1' })).toEqual({ spec: { type: 'kafka', topic: 'clicks.v1' }, startingPosition: 'EARLIEST' });
    expect(kafkaSource({ topic: 'clicks', startingPosition: { timestamp: 5 }, failOnDataLoss: false })).toEqual({
      spec: { type: 'kafka', topic: 'clicks' },
      startingPosition: { timestamp: 5 },
      failOnDataLoss: false,
    });
  });

  it('keeps failOnDataLoss through defineJob, and leaves it unset by default (the planner then fails on data loss)', () => {
    const job = (source: ReturnType<typeof kafkaSource>) => defineJob({ ...valid, source });
    expect(job(kafkaSource({ topic: 't', failOnDataLoss: false })).source.failOnDataLoss).toBe(false);
    expect(job(kafkaSource({ topic: 't', failOnDataLoss: true })).source.failOnDataLoss).toBe(true);
    expect(job(kafkaSource({ topic: 't' })).source).not.toHaveProperty('failOnDataLoss');
  });

  it('keeps a Kinesis routing function through defineJob, checking what it returns', () => {
    const job = defineJob({
      ...valid,
      source: kinesisSource({
        streamName: 'clicks',
        hashKeyOf: (key) => (key === 'bad' ? '-1' : key === 'big' ? 2n ** 128n : `${key.length}`),
      }),
    });
    const hashKeyOf = job.source.hashKeyOf!;
    expect(hashKeyOf('abc')).toBe(3n);
    expect(() => hashKeyOf('bad')).toThrow(
      'kinesisSource().hashKeyOf must return a hash key from 0 to 2^128 - 1 (a bigint or a decimal string), got "-1" for key "bad"',
    );
    expect(() => hashKeyOf('big')).toThrow(JobSpecError);
    const throwing = defineJob({
      ...valid,
      source: kinesisSource({
        streamName: 'clicks',
        hashKeyOf: () => {
          throw new RangeError('no route');
        },
      }),
    });
    expect(() => throwing.source.hashKeyOf!('k')).toThrow(
      expect.objectContaining({ name: 'JobSpecError', message: 'kinesisSource().hashKeyOf threw for key "k": no route' }),
    );
    expect(defineJob({ ...valid, source: kinesisSource({ streamName: 'clicks' }) }).source).not.toHaveProperty('hashKeyOf');
  });

  it.each([
    [
      () => kinesisSource({ streamName: 'x', hashKeyOf: 'md5' as never }),
      'kinesisSource().hashKeyOf must be a function from a key to its hash key, got "md5"',
    ],
    [
      () => kinesisSource({ streamName: 'bad name' }),
      'kinesisSource().streamName must be a Kinesis stream name (1-128 of a-z A-Z 0-9 _ . -), got "bad name"',
    ],
    [
      () => kinesisSource({ streamName: 'x', startingPosition: { timestamp: -1 } }),
      'kinesisSource().startingPosition.timestamp must be an integer from 0 to 8640000000000000 (epoch milliseconds), got -1',
    ],
    [
      () => kinesisSource({ streamName: 'x', startingPosition: { timestamp: 8_640_000_000_000_001 } }),
      'kinesisSource().startingPosition.timestamp must be an integer from 0 to 8640000000000000 (epoch milliseconds), got 8640000000000001',
    ],
    [() => memorySource({ streamName: '' }), 'memorySource().streamName must be a non-empty string, got ""'],
    [() => kafkaSource({ topic: 'a topic' }), 'kafkaSource().topic must be a Kafka topic name'],
    [() => kafkaSource({ topic: '..' }), 'kafkaSource().topic must be a Kafka topic name'],
    [() => kafkaSource({ topic: 'x'.repeat(250) }), 'kafkaSource().topic must be a Kafka topic name'],
    [
      () => kafkaSource({ topic: 't', startingPosition: 'NOW' as 'LATEST' }),
      "kafkaSource().startingPosition must be 'EARLIEST', 'LATEST' or { timestamp }",
    ],
    [
      () => kafkaSource({ topic: 't', failOnDataLoss: 1 as unknown as boolean }),
      'kafkaSource().failOnDataLoss must be true or false, got 1',
    ],
    [() => dynamoDbSink({ tableName: 'a/b' }), 'dynamoDbSink().tableName must be a DynamoDB table name'],
    [
      () => dynamoDbSink({ tableName: 'views', writes: 'batch' as 'puts' }),
      `dynamoDbSink().writes must be 'transactions' or 'puts', got "batch"`,
    ],
    [
      () => dynamoDbSink({ tableName: 'views', write: 'puts' } as unknown as { tableName: string }),
      'dynamoDbSink().write is not a DynamoDB sink field (tableName, writes)',
    ],
    [() => memorySink({ name: '' }), 'memorySink().name must be a non-empty string, got ""'],
  ])('rejects bad options (%#)', (make, message) => {
    expect(make).toThrow(JobSpecError);
    expect(make).toThrow(message);
  });
});

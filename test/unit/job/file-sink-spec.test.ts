import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import { defineJob, memorySource, s3FileSink } from '../../../engine/job/index.js';

const jobWith = (sink: unknown) =>
  defineJob({
    name: 'files',
    version: 1,
    source: memorySource({ streamName: 's' }),
    pipeline: (events) => events,
    sink: sink as never,
  });

describe('s3FileSink at defineJob', () => {
  it('keeps a valid spec, with the defaults', () => {
    const job = jobWith(s3FileSink({ prefix: 'lake/views', format: 'parquet' }));
    expect(job.sink).toEqual({ type: 's3files', prefix: 'lake/views', format: 'parquet', maxFileBytes: 64 * 1024 * 1024 });
    expect(
      s3FileSink({ prefix: 'v', format: 'jsonl', logCompactInterval: 5, logDeletion: false, logCleanupDelayBatches: 50 }),
    ).toMatchObject({
      logCompactInterval: 5,
      logDeletion: false,
      logCleanupDelayBatches: 50,
    });
    expect(jobWith(s3FileSink({ bucket: 'my-lake', prefix: 'v', format: 'jsonl', maxFileBytes: 4096 })).sink).toMatchObject({
      bucket: 'my-lake',
      maxFileBytes: 4096,
    });
  });

  it.each([
    [{ prefix: '/lake', format: 'jsonl' }, 's3FileSink().prefix must not start or end with'],
    [{ prefix: 'lake/', format: 'jsonl' }, 's3FileSink().prefix must not start or end with'],
    [{ prefix: 'a//b', format: 'jsonl' }, 's3FileSink().prefix must not start or end with'],
    [{ prefix: 'a b', format: 'jsonl' }, 's3FileSink().prefix must use letters'],
    [{ format: 'jsonl' }, 's3FileSink().prefix must be a string of 1-512 characters'],
    [{ prefix: 'p', format: 'csv' }, "s3FileSink().format must be 'jsonl' or 'parquet', got \"csv\""],
    [{ prefix: 'p', format: 'jsonl', bucket: 'My_Bucket' }, 's3FileSink().bucket must be an S3 bucket name'],
    [{ prefix: 'p', format: 'jsonl', maxFileBytes: 10 }, 's3FileSink().maxFileBytes must be an integer from 1024'],
    [{ prefix: 'p', format: 'jsonl', partitionBy: 'dt' }, 's3FileSink().partitionBy must be a function'],
    [{ prefix: 'p', format: 'jsonl', partitionBy: async () => 'dt=1' }, 's3FileSink().partitionBy'],
    [{ prefix: 'p', format: 'jsonl', compression: 'gzip' }, 's3FileSink().compression is not a file sink field'],
    [{ prefix: 'p', format: 'jsonl', logCompactInterval: 0 }, 's3FileSink().logCompactInterval must be an integer from 1 to 1000000'],
    [{ prefix: 'p', format: 'jsonl', logDeletion: 'yes' }, 's3FileSink().logDeletion must be true or false'],
    [
      { prefix: 'p', format: 'jsonl', logCompactInterval: 20, logCleanupDelayBatches: 10 },
      's3FileSink().logCleanupDelayBatches must be an integer from logCompactInterval (20)',
    ],
  ])('refuses %o with a JobSpecError naming the field', (options, message) => {
    expect(() => s3FileSink(options as never)).toThrow(JobSpecError);
    expect(() => s3FileSink(options as never)).toThrow(message);
  });

  it('checks a spec written by hand under sink.*', () => {
    expect(() => jobWith({ type: 's3files', prefix: 'p', format: 'orc' })).toThrow("sink.format must be 'jsonl' or 'parquet'");
  });
});

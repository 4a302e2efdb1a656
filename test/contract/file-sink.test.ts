import { S3BlobStore } from '../../engine/adapters/aws/s3-blob-store.js';
import { s3FileSinkOf } from '../../engine/adapters/aws/s3-file-sinks.js';
import { MemoryBlobStore } from '../../engine/adapters/memory/memory-blob-store.js';
import { MemoryFileSinks } from '../../engine/adapters/memory/memory-file-sink.js';
import { createTestBucket, testAwsClients } from '../support/aws.js';
import { describeFileSinkContract } from './file-sink.contract.js';

describeFileSinkContract('memory', async (spec) => {
  const files = new MemoryFileSinks(new MemoryBlobStore());
  return { sink: files.sink(spec), blobs: files.bucket(spec.bucket) };
});

describeFileSinkContract('S3 (s3rver), the checkpoint bucket', async (spec) => {
  const client = testAwsClients().s3;
  const bucket = await createTestBucket();
  return { sink: s3FileSinkOf(client, spec, bucket), blobs: new S3BlobStore({ client, bucket }) };
});

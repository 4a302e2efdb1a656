import { S3BlobStore } from '../../engine/adapters/aws/s3-blob-store.js';
import { MemoryBlobStore } from '../../engine/adapters/memory/memory-blob-store.js';
import { createTestBucket, testAwsClients } from '../support/aws.js';
import { describeBlobStoreContract } from './blob-store.contract.js';

describeBlobStoreContract('memory', () => new MemoryBlobStore());

describeBlobStoreContract('S3 (s3rver), pages of 1,000', async () => {
  return new S3BlobStore({ client: testAwsClients().s3, bucket: await createTestBucket() });
});

// Small pages make every listing of more than 7 keys follow continuation tokens; a prefix
// checks that keys come back without it.
describeBlobStoreContract('S3 (s3rver), pages of 7 under a prefix', async () => {
  return new S3BlobStore({ client: testAwsClients().s3, bucket: await createTestBucket(), prefix: 'sluice/', pageSize: 7 });
});

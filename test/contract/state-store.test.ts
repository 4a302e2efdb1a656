import { S3BlobStore } from '../../engine/adapters/aws/s3-blob-store.js';
import { MemoryBlobStore } from '../../engine/adapters/memory/memory-blob-store.js';
import type { BlobStore } from '../../engine/ports/blob-store.js';
import { BlobStateStore } from '../../engine/state/blob-state-store.js';
import { createTestBucket, testAwsClients } from '../support/aws.js';
import { describeStateStoreContract, type StateStoreFixture } from './state-store.contract.js';

function fixtureOver(blobs: () => BlobStore): StateStoreFixture {
  return { store: new BlobStateStore(blobs()), reopen: () => new BlobStateStore(blobs()) };
}

describeStateStoreContract('BlobStateStore on memory', () => {
  const blobs = new MemoryBlobStore();
  return fixtureOver(() => blobs);
});

describeStateStoreContract('BlobStateStore on S3 (s3rver)', async () => {
  const bucket = await createTestBucket('state');
  return fixtureOver(() => new S3BlobStore({ client: testAwsClients().s3, bucket, prefix: 'state/' }));
});

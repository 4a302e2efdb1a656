/**
 * `--warm-up`: before the driver's restart, the resuming process sends the stand-ins the
 * kinds of requests the resumed batch sends (conditional puts one by one and in a
 * transaction on a scratch table, an S3 PUT and GET of a state-sized object), so the
 * restart is timed against warm services as on AWS, where no service restarts with the
 * driver. DynamoDB Local is a JVM: started cold with the killed process's data, it runs
 * its first few hundred requests interpreted. The warm-up's time is reported apart, as
 * the stand-ins' start-up is; without the flag the restart meets cold stand-ins.
 */
import { createSinkTable } from '../../engine/adapters/aws/index.js';
import { DynamoDbSink } from '../../engine/adapters/aws/dynamodb-sink.js';
import { S3BlobStore } from '../../engine/adapters/aws/s3-blob-store.js';
import type { AwsPorts } from '../../engine/adapters/deployed-ports.js';

const WARM_UP_TABLE = 'recovery-warm-up';
const WARM_UP_KEY = 'warm-up/state-sized-object';

/** Returns how long the warm-up took. */
export async function warmUpStandIns(ports: AwsPorts, bucket: string, rows: number): Promise<number> {
  const started = performance.now();
  const client = ports.clients.dynamodb;
  await createSinkTable(client, WARM_UP_TABLE);
  const sink = new DynamoDbSink({ client, tableName: WARM_UP_TABLE });
  const many = Array.from({ length: Math.max(rows, 101) }, (_, i) => ({ key: `warm-${i}`, value: { value: i } }));
  for (let batchId = 1; batchId <= 3; batchId += 1) {
    await sink.write({ jobId: 'warm-up', batchId, generation: 0, partition: 'p', rows: many });
    await sink.write({ jobId: 'warm-up', batchId, generation: 0, partition: 'p', rows: many.slice(0, 50) });
  }
  const s3 = new S3BlobStore({ client: ports.clients.s3, bucket });
  await s3.put(WARM_UP_KEY, new Uint8Array(2 * 1024 * 1024));
  await s3.get(WARM_UP_KEY);
  await s3.delete([WARM_UP_KEY]);
  return performance.now() - started;
}

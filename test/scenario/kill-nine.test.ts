import { describe, expect, it } from 'vitest';
import { LOCAL_RESOURCES, startLocalRuntime } from '../../local/runtime.js';
import { FILES_PREFIX, SINK_STREAM } from '../../local/demo/run-demo.js';
import { readStreamedRows } from '../../local/demo/stream-check.js';
import { readCommittedParquet } from '../../local/demo/parquet-check.js';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { clickstreamJob } from '../../jobs/clickstream/job.js';
import * as kill from '../support/kill-nine.js';

/**
 * The local runtime in a child process (the demo: stand-ins, input, driver), killed with
 * SIGKILL at random moments, its whole process group at once (Node, DynamoDB Local's JVM,
 * s3rver), like a machine losing power. It is started again on the same data directory
 * until it finishes; then the sink must hold exactly the expected counts
 * (test/support/kill-nine.ts has the schedule; kill-nine-kafka and kill-nine-user the
 * sinks the demo does not carry).
 *
 * One seed per sink kind: the DynamoDB table (exact), the Kinesis stream (at least once:
 * checked after deduplication by id, every copy carrying its first's data) and the file
 * sink (Parquet files and their commit log).
 */
type DemoSink = 'dynamodb' | 'kinesis' | 's3';
const SEEDS: readonly (readonly [number, DemoSink])[] = [
  [11, 'dynamodb'],
  [23, 'kinesis'],
  [37, 's3'],
];

const dataDirFor = kill.useDataDirs();

function startDemo(dataDir: string, sink: DemoSink) {
  return kill.startRun('scripts/demo.ts', [...kill.runArgs(dataDir), '--no-check', '--sink', sink]);
}

describe('kill -9 of the local runtime', () => {
  for (const [seed, sink] of SEEDS) {
    it(`seed ${seed}: ${kill.KILLS_PER_RUN} kills at random moments, then the ${sink} sink${sink === 'kinesis' ? ', deduplicated by id,' : ''} is exact`, async () => {
      const dataDir = await dataDirFor(seed);
      await kill.killAtRandomThenFinish(seed, () => startDemo(dataDir, sink));

      // Check the sink from the outside, on the same data directory.
      const runtime = await startLocalRuntime({ dataDir, logger: silentLogger });
      try {
        const expected = kill.expectedPageViews();
        const files = sink === 's3';
        const stream = sink === 'kinesis';
        const job = clickstreamJob({
          maxRecordsPerPartition: kill.MAX_RECORDS,
          ...(files ? { name: 'page-views-files', sinkFiles: FILES_PREFIX } : {}),
          ...(stream ? { name: 'page-views-stream', sinkStream: SINK_STREAM } : {}),
        });
        // The file sink's rows are read back through its commit log by an independent Parquet
        // reader; the stream's records with the Kinesis client, deduplicated by id.
        let actual: Map<string, unknown>;
        if (files) {
          const parquet = await readCommittedParquet(runtime.ports.clients.s3, LOCAL_RESOURCES.bucket, FILES_PREFIX);
          actual = new Map([...parquet.rows].map(([k, r]) => [k, Number(r.value)]));
        } else if (stream) {
          const streamed = await readStreamedRows(runtime.ports.clients.kinesis, SINK_STREAM);
          expect(streamed.conflicts).toEqual([]);
          console.info(`seed ${seed}: ${streamed.records} records, ${streamed.duplicates} copies`);
          actual = new Map([...streamed.rows].map(([k, v]) => [k, v.value]));
        } else {
          actual = new Map((await runtime.ports.sinks(job.sink).scan()).map((r) => [r.key, r.value.value]));
        }
        kill.expectExactCounts(actual, expected.counts);
        await kill.expectCommittedRun(runtime, job.name, expected.deadLetters);
      } finally {
        await runtime.stop();
      }
    }, 600_000);
  }
});

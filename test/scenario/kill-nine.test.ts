import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_RESOURCES, startLocalRuntime } from '../../local/runtime.js';
import { FILES_PREFIX, SINK_STREAM } from '../../local/demo/run-demo.js';
import { readStreamedRows } from '../../local/demo/stream-check.js';
import { readCommittedParquet } from '../../local/demo/parquet-check.js';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { DEFAULT_CLICKSTREAM, expectedCounts, generateClickstream, seededRandom } from '../../jobs/clickstream/generate.js';
import { CLICKSTREAM_JOB, clickstreamJob } from '../../jobs/clickstream/job.js';

/**
 * The local runtime in a child process (the demo: stand-ins, input, driver), killed with
 * SIGKILL at random moments, its whole process group at once (Node, DynamoDB Local's JVM,
 * s3rver), like a machine losing power. It is started again on the same data directory
 * until it finishes; then the sink must hold exactly the expected counts.
 */
const EVENTS = 12_000;
const MAX_RECORDS = 150; // 20 batches per shard: plenty of moments to die in
const KILLS_PER_RUN = 4;
/**
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

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Run {
  readonly child: ChildProcess;
  readonly batchesSeen: () => number;
  readonly exited: Promise<number | null>;
  readonly output: () => string;
}

function startDemo(dataDir: string, sink: DemoSink): Run {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/demo.ts',
      '--data-dir',
      dataDir,
      '--events',
      String(EVENTS),
      '--max-records',
      String(MAX_RECORDS),
      '--no-check',
      '--sink',
      sink,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  let output = '';
  let batches = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    batches += text.split('\n').filter((l) => l.startsWith('batch ')).length;
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, batchesSeen: () => batches, exited, output: () => output };
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function until(condition: () => boolean, exited: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + timeoutMs;
  while (!condition() && !done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return condition();
}

describe('kill -9 of the local runtime', () => {
  for (const [seed, sink] of SEEDS) {
    it(`seed ${seed}: ${KILLS_PER_RUN} kills at random moments, then the ${sink} sink${sink === 'kinesis' ? ', deduplicated by id,' : ''} is exact`, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), `sluice-kill-${seed}-`));
      dirs.push(dataDir);
      const random = seededRandom(seed);
      const log: string[] = [];

      for (let kill = 0; kill < KILLS_PER_RUN; kill += 1) {
        const run = startDemo(dataDir, sink);
        // Die while starting up and writing input (first kill of some seeds), or after a
        // random number of batches plus a random fraction of one.
        const afterBatches = kill === 0 && random() < 0.5 ? 0 : 1 + Math.floor(random() * 4);
        const extraMs = Math.floor(random() * 400);
        const reached = await until(() => run.batchesSeen() >= afterBatches, run.exited, 60_000);
        if (reached) await new Promise((r) => setTimeout(r, extraMs));
        killGroup(run.child);
        const code = await run.exited;
        log.push(`kill ${kill + 1}: after ${run.batchesSeen()} batches + ${extraMs} ms (exit ${code})`);
        if (code === 0) break; // finished before the kill landed
      }

      // The kills landed while the job was running, not after it finished.
      const killedMidRun = log.filter((l) => l.endsWith('(exit null)'));
      expect(killedMidRun.length, log.join('\n')).toBeGreaterThanOrEqual(KILLS_PER_RUN - 1);
      console.info(`seed ${seed}\n  ${log.join('\n  ')}`);

      const final = startDemo(dataDir, sink);
      const code = await final.exited;
      expect(code, `${log.join('\n')}\n${final.output()}`).toBe(0);
      expect(final.output()).toContain('caught up');

      // Check the sink from the outside, on the same data directory.
      const runtime = await startLocalRuntime({ dataDir, logger: silentLogger });
      try {
        const events = generateClickstream({ ...DEFAULT_CLICKSTREAM, events: EVENTS });
        const expected = expectedCounts(events, CLICKSTREAM_JOB.windowMs);
        const files = sink === 's3';
        const stream = sink === 'kinesis';
        const job = clickstreamJob({
          maxRecordsPerPartition: MAX_RECORDS,
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
        expect(actual.size).toBe(expected.counts.size);
        for (const [key, count] of expected.counts) expect(actual.get(key), key).toBe(count);
        expect(await runtime.ports.deadLetters.list(job.name)).toHaveLength(expected.deadLetters);
        const batches = await runtime.ports.wal.listBatches(job.name);
        expect(batches.every((b) => b.status === BatchStatus.COMMITTED)).toBe(true);
        batches.forEach((b, i) => i > 0 && expect(b.plan.batchId).toBe(batches[i - 1]!.plan.batchId + 1));
      } finally {
        await runtime.stop();
      }
    }, 300_000);
  }
});

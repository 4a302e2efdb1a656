import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalApi } from '../../local/api-runtime.js';
import { LOCAL_SOURCE_SHARDS } from '../../local/prepare-job.js';
import { testAwsClients, uniqueName } from '../support/aws.js';
import { runSluice, type Run } from '../support/child-process.js';
import { startLocalApiOnStandIns } from '../support/local-api.js';

let api: LocalApi;
let dataDir: string;

function sluice(args: readonly string[], stdin?: string): Promise<Run> {
  return runSluice(args, { SLUICE_DATA_DIR: dataDir }, { stdin: stdin ?? '', unset: ['SLUICE_ENDPOINT'] });
}

async function streamShards(streamName: string): Promise<number | null> {
  try {
    const { StreamDescriptionSummary } = await testAwsClients().kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    return StreamDescriptionSummary?.OpenShardCount ?? null;
  } catch {
    return null;
  }
}

/** A click a line: `count` views over four pages, a second apart. */
function clicks(count: number, from = 0): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({ page: `/p${(from + i) % 4}`, ts: Date.UTC(2026, 0, 1) + (from + i) * 1_000 }),
  )
    .map((line) => `${line}\n`)
    .join('');
}

beforeAll(async () => {
  ({ api, dataDir } = await startLocalApiOnStandIns('own'));
});

afterAll(async () => {
  await api?.close();
});

describe('your own data on the local runtime, with the sluice command', () => {
  it('refuses input with a malformed line before writing anything, naming the line', async () => {
    const stream = uniqueName('own-bad');
    const file = join(dataDir, 'bad.jsonl');
    await writeFile(file, `${clicks(2)}{"page": "/p1", "ts": \n${clicks(2, 2)}`);
    const produced = await sluice(['produce', stream, '--file', file, '--key-field', 'page']);
    expect(produced.code).toBe(3);
    expect(produced.stderr).toContain('line 3: not JSON');
    expect(produced.stderr).toContain('nothing was written');
    expect(await streamShards(stream)).toBeNull();
  });

  it('produces from a file and stdin, starts the job, pages its results, lists its checkpoints beside the API', async () => {
    const stream = uniqueName('own-clicks');
    const table = uniqueName('own-views');
    const file = join(dataDir, 'clicks.jsonl');
    await writeFile(file, clicks(30));
    const produced = await sluice(['produce', stream, '--file', file, '--key-field', 'page']);
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);
    expect(produced.stdout).toContain(`created stream ${stream} (${LOCAL_SOURCE_SHARDS} shards)`);
    expect(produced.stdout).toContain(`wrote 30 records to Kinesis stream ${stream}`);
    expect(produced.stdout).toMatch(/shardId-\d+ +\d+/);
    const piped = await sluice(['produce', stream, '--key-field', 'page'], clicks(10, 30));
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain(`wrote 10 records to Kinesis stream ${stream}`);

    // No --endpoint: the API is the one endpoints.json names.
    const started = await sluice([
      'jobs',
      'start',
      'page-views',
      '--job-id',
      'own',
      '--param',
      `streamName=${stream}`,
      '--param',
      `sinkTable=${table}`,
      '--trigger',
      'available-now',
      '--from',
      'earliest',
      '--wait',
    ]);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/job own is STOPPED: caught-up/);

    const page = await sluice(['jobs', 'results', 'own', '--limit', '2']);
    expect(page.code).toBe(0);
    expect(page.stdout).toContain(`2 rows of the dynamodb sink ${table}`);
    expect(page.stdout).toMatch(/^KEY +BATCH +GENERATION +VALUE/m);
    expect(page.stdout).toMatch(/more: sluice jobs results own --next-token \S+ --limit 2/);
    const all = await sluice(['jobs', 'results', 'own', '--all', '--json']);
    expect(all.code).toBe(0);
    const rows = JSON.parse(all.stdout).rows as { key: string; value: { value: number } }[];
    // 40 clicks, a second apart: four windows of 10 s, each with every page.
    expect(rows).toHaveLength(16);
    expect(rows.reduce((sum, r) => sum + r.value.value, 0)).toBe(40);

    // The operator commands use the running stand-ins (they would otherwise start their own on the data directory).
    const listed = await sluice(['checkpoints', 'list', '--job', 'own', '--data-dir', dataDir, '--json']);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(JSON.stringify(JSON.parse(listed.stdout))).toContain('"jobId":"own"');
  }, 180_000); // five runs of the CLI, each a Node process loading TypeScript: slow on a busy machine

  it('creates the source stream of a job started on a stream that does not exist yet, and stops it at once', async () => {
    const stream = uniqueName('own-new');
    const start = await sluice([
      'jobs',
      'start',
      'page-views',
      '--job-id',
      'own-new',
      '--param',
      `streamName=${stream}`,
      '--param',
      `sinkTable=${uniqueName('own-new-views')}`,
      '--trigger',
      'interval:60000',
    ]);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(await streamShards(stream)).toBe(LOCAL_SOURCE_SHARDS);
    // Once its first (empty) batch committed, the driver is in its 60-second wait.
    const status = async () => (await (await fetch(`${api.url}/jobs/own-new`)).json()) as { state: string; lastCommittedBatch: unknown };
    for (let i = 0; i < 200 && (await status()).lastCommittedBatch === null; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect((await status()).lastCommittedBatch).not.toBeNull();
    const stop = await sluice(['jobs', 'stop', 'own-new']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('stopping job own-new');
    // The stop ended the wait: STOPPED within moments of the request, not when the minute is up.
    const asked = Date.now();
    while ((await status()).state !== 'STOPPED' && Date.now() - asked < 10_000) await new Promise((r) => setTimeout(r, 25));
    expect((await status()).state).toBe('STOPPED');
    expect(Date.now() - asked).toBeLessThan(3_000);
  });
});

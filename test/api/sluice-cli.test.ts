/**
 * The `sluice` command (bin/sluice.js → scripts/sluice.ts) against the jobs API served over
 * HTTP by the local runtime (on the memory adapters here): its output and its exit codes.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import { startLocalApi, type LocalApi } from '../../engine/local/api-runtime.js';
import { catalog } from '../../jobs/catalog.js';

let api: LocalApi;

function sluice(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/sluice.js', ...args], {
      env: { ...process.env, SLUICE_ENDPOINT: api.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  // Real time: the state machines' clocks are real.
  const ports = { ...createMemoryPorts(), clock: systemClock };
  ports.source.createStream('clicks', ['p0', 'p1']);
  const encoder = new TextEncoder();
  for (const [p, partition] of ['p0', 'p1'].entries()) {
    ports.source.append('clicks', partition, Array.from({ length: 50 }, (_, i) => ({ key: `/page-${p}`, data: encoder.encode(JSON.stringify({ page: `/page-${p}`, ts: 1_000 * i })) })));
  }
  api = await startLocalApi({ ports, registry: new MemoryJobRegistry(), catalog, port: 0, driver: { retryDelayMs: 10 } });
});

afterAll(async () => {
  await api?.close();
});

describe('the sluice command', () => {
  it('starts a job and follows it to the end, then shows its status, list and batches', async () => {
    const started = await sluice(['jobs', 'start', 'page-views', '--job-id', 'cli', '--param', 'streamName=clicks', '--max-records', '20', '--trigger', 'available-now', '--from', 'earliest', '--wait']);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('started job cli (page-views): driver execution cli-1');
    expect(started.stdout).toContain('trigger available now (stops when caught up); from earliest');
    expect(started.stderr).toMatch(/batch \d+ committed: [\d,]+ records in \d+ ms/);
    expect(started.stdout).toMatch(/job cli is STOPPED: caught-up \(last committed batch \d+\)/);

    const [status, list, batches, json] = await Promise.all([
      sluice(['jobs', 'status', 'cli']),
      sluice(['jobs', 'list']),
      sluice(['jobs', 'batches', 'cli', '--limit', '2']),
      sluice(['jobs', 'status', 'cli', '--json']),
    ]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('job cli (page-views)  STOPPED: caught-up');
    expect(status.stdout).toContain('rate limit    20 records per partition per batch');
    expect(status.stdout).toMatch(/p0 +caught up/);
    expect(list.stdout).toMatch(/^JOB ID +JOB +STATE/);
    expect(list.stdout).toMatch(/cli +page-views +STOPPED/);
    expect(batches.stdout).toMatch(/^BATCH +STATUS +RECORDS/);
    expect(batches.stdout).toMatch(/more: sluice jobs batches cli --next-token \S+ --limit 2/);
    expect(JSON.parse(json.stdout)).toMatchObject({ jobId: 'cli', state: 'STOPPED', stateSize: { rows: expect.any(Number) } });
  });

  it('stops a running job and waits, showing its progress', async () => {
    const started = await sluice(['jobs', 'start', 'page-views', '--job-id', 'cli-stop', '--param', 'streamName=clicks', '--trigger', 'interval:100:200']);
    expect(started.code).toBe(0);
    const stopped = await sluice(['jobs', 'stop', 'cli-stop', '--wait', '--timeout', '60']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('stopping job cli-stop: its driver finishes the batch in flight, commits, and ends');
    expect(stopped.stdout).toContain('job cli-stop is STOPPED: stopped');
    const again = await sluice(['jobs', 'stop', 'cli-stop']);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('job cli-stop is STOPPED: stopped') });
  });

  it('exits 1 when the operation fails, 2 on bad usage, 3 when the API cannot be reached', async () => {
    const [unknownJob, badFlag, badName, unreachable, noCommand, help, checkpointsHelp] = await Promise.all([
      sluice(['jobs', 'status', 'nobody']),
      sluice(['jobs', 'start', 'page-views', '--trigger', 'sometimes']),
      sluice(['jobs', 'start', 'page-veiws']),
      sluice(['jobs', 'list'], { SLUICE_ENDPOINT: 'http://127.0.0.1:9' }),
      sluice(['bogus']),
      sluice(['--help']),
      sluice(['checkpoints', '--help']),
    ]);
    expect(unknownJob).toMatchObject({ code: 1, stderr: expect.stringContaining('error: no job instance nobody') });
    expect(badFlag).toMatchObject({ code: 2, stderr: expect.stringContaining('--trigger must be available-now or interval:<ms>[:<max idle ms>], got "sometimes"') });
    expect(badName).toMatchObject({ code: 2, stderr: expect.stringContaining("error: jobName is not a job of this deployment's catalog (known: page-views)") });
    expect(unreachable).toMatchObject({ code: 3, stderr: expect.stringContaining('cannot reach the jobs API at http://127.0.0.1:9') });
    expect(unreachable.stderr).toContain('npm run api');
    expect(noCommand).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "bogus"') });
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: sluice <command> [options]') });
    expect(checkpointsHelp).toMatchObject({ code: 0, stdout: expect.stringContaining('checkpoints -- list --job <id>') });
  });
});

/**
 * `sluice api` (npm run api) after a restart: it prints how long its stand-ins took to
 * start, and, for each job it resumes, the recovery time from this start to the job's
 * first committed batch (or, caught up, its first trigger that found nothing to run), with
 * the stand-ins' part of it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

interface ApiProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  output(): string;
  /** Resolves with the first match of `pattern` in the output (rejects when the process ends first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

const running: ApiProcess[] = [];

async function startApi(dataDir: string): Promise<ApiProcess> {
  const child = spawn(process.execPath, ['bin/sluice.js', 'api', '--data-dir', dataDir, '--port', '0'], { stdio: 'pipe' });
  let output = '';
  let exited: number | null | undefined;
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of waiters) w();
  };
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    poke();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ended = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      exited = code;
      poke();
      resolve(code);
    }),
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match !== null) {
          waiters.delete(check);
          resolve(match);
        } else if (exited !== undefined) {
          waiters.delete(check);
          reject(new Error(`sluice api ended (${exited}) before printing ${pattern}:\n${output}`));
        }
      };
      waiters.add(check);
      check();
    });
  const url = (await waitFor(/sluice jobs API on (http:\/\/\S+)/))[1]!;
  const api: ApiProcess = {
    child,
    url,
    output: () => output,
    waitFor,
    stop: async () => {
      if (exited === undefined) child.kill('SIGTERM');
      return ended;
    },
  };
  running.push(api);
  return api;
}

async function call(url: string, method: 'GET' | 'POST', body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return (await response.json()) as Record<string, unknown>;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((api) => api.stop()));
});

describe('sluice api after a restart', () => {
  it('prints the stand-ins start-up and, for a caught-up job it resumes, the time from this start to its first trigger', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-recovery-'));
    const first = await startApi(dataDir);
    expect(first.output()).toMatch(/ {2}stand-ins up in \d+ ms/);
    await call(`${first.url}/jobs`, 'POST', {
      jobName: 'page-views',
      jobId: 'recovering',
      parameters: { streamName: 'recovering-clicks', sinkTable: 'recovering-views' },
      trigger: { type: 'interval', intervalMs: 200 },
      idempotencyToken: 'recovering-1',
    });
    for (let i = 0; i < 600; i += 1) {
      if ((await call(`${first.url}/jobs/recovering`, 'GET')).lastCommittedBatch != null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await call(`${first.url}/jobs/recovering`, 'GET')).lastCommittedBatch).not.toBeNull();
    // A job started through this process's API is no recovery: nothing reported for it.
    expect(first.output()).not.toContain('first batch committed');
    expect(await first.stop()).toBe(0);
    running.splice(running.indexOf(first), 1);

    const second = await startApi(dataDir);
    const standIns = Number((await second.waitFor(/ {2}stand-ins up in (\d+) ms/))[1]);
    await second.waitFor(/ {2}resumed job recovering: driver execution recovering-\d+/);
    // The stream is empty: the resumed job is caught up, so its first trigger plans no batch.
    const recovered = await second.waitFor(
      / {2}resumed job recovering: caught up, first trigger found nothing to run (\d+) ms after this start \((\d+) ms of it starting the stand-ins\)/,
    );
    expect(Number(recovered[2])).toBe(standIns);
    expect(Number(recovered[1])).toBeGreaterThanOrEqual(standIns);
    // Once per job: ten more trigger periods print nothing more.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(second.output().match(/resumed job recovering: (first batch committed|caught up)/g)).toHaveLength(1);
    await call(`${second.url}/jobs/recovering/stop`, 'POST');
  }, 240_000);
});

/**
 * The kill -9 tests' schedule (test/scenario/kill-nine*.test.ts): a runner of the local
 * runtime (the demo, or test/support/kill-nine-runner.ts) in a child process of its own
 * process group, killed with SIGKILL at random moments, its whole group at once (Node,
 * DynamoDB Local's JVM, s3rver), like a machine losing power; started again on the same
 * data directory after each kill, then once more to the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import { DEFAULT_CLICKSTREAM, expectedCounts, generateClickstream, seededRandom } from '../../jobs/clickstream/generate.js';
import { CLICKSTREAM_JOB } from '../../jobs/clickstream/settings.js';
import type { LocalRuntime } from '../../local/runtime.js';

export const EVENTS = 12_000;
export const MAX_RECORDS = 150; // 20 batches per shard: plenty of moments to die in
export const KILLS_PER_RUN = 4;

/** What the runs must leave in the sink: the counts computed from the input alone, and the dead letters. */
export function expectedPageViews(): ReturnType<typeof expectedCounts> {
  return expectedCounts(generateClickstream({ ...DEFAULT_CLICKSTREAM, events: EVENTS }), CLICKSTREAM_JOB.windowMs);
}

/** Call at a test file's top level: gives each test a fresh data directory, all removed after the file. */
export function useDataDirs(): (seed: number) => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return async (seed) => {
    const dir = await mkdtemp(join(tmpdir(), `sluice-kill-${seed}-`));
    dirs.push(dir);
    return dir;
  };
}

/** The runner's arguments for the input and the rate limit. */
export function runArgs(dataDir: string): string[] {
  return ['--data-dir', dataDir, '--events', String(EVENTS), '--max-records', String(MAX_RECORDS)];
}

export interface Run {
  readonly child: ChildProcess;
  readonly batchesSeen: () => number;
  readonly exited: Promise<number | null>;
  readonly output: () => string;
}

/** Starts `script` (a TypeScript file) with `args` in a process group of its own. */
export function startRun(script: string, args: readonly string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
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

/**
 * KILLS_PER_RUN runs, each killed at a random moment drawn from `seed`: while starting up
 * and writing input (the first kill of some seeds), or after a random number of batches
 * plus a random fraction of one. Then a last run to the end, which must exit 0 and have
 * caught up. Returns the log of the kills.
 */
export async function killAtRandomThenFinish(seed: number, start: () => Run): Promise<string[]> {
  const random = seededRandom(seed);
  const log: string[] = [];
  for (let kill = 0; kill < KILLS_PER_RUN; kill += 1) {
    const run = start();
    const afterBatches = kill === 0 && random() < 0.5 ? 0 : 1 + Math.floor(random() * 4);
    const extraMs = Math.floor(random() * 400);
    // Starting the runtime takes a while on a busy machine: a kill meant for the middle of the run waits for it.
    const reached = await until(() => run.batchesSeen() >= afterBatches, run.exited, 180_000);
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

  const final = start();
  const code = await final.exited;
  expect(code, `${log.join('\n')}\n${final.output()}`).toBe(0);
  expect(final.output()).toContain('caught up');
  return log;
}

/** Every row of `expected` in `actual` with its count, and nothing else. */
export function expectExactCounts(actual: ReadonlyMap<string, unknown>, expected: ReadonlyMap<string, number>): void {
  expect(actual.size).toBe(expected.size);
  for (const [key, count] of expected) expect(actual.get(key), key).toBe(count);
}

/** The job's dead letters are the expected ones, and its batches all committed, numbered without a gap. */
export async function expectCommittedRun(runtime: LocalRuntime, jobId: string, deadLetters: number): Promise<void> {
  expect(await runtime.ports.deadLetters.list(jobId)).toHaveLength(deadLetters);
  const batches = await runtime.ports.wal.listBatches(jobId);
  expect(batches.every((b) => b.status === BatchStatus.COMMITTED)).toBe(true);
  batches.forEach((b, i) => i > 0 && expect(b.plan.batchId).toBe(batches[i - 1]!.plan.batchId + 1));
}

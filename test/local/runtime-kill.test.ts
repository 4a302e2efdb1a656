/**
 * The local runtime killed with -9 (the runner process alone, not its process group) at
 * any moment of its start or after it: no stand-in it started survives it (DynamoDB
 * Local's JVM, s3rver, kinesalite, their tethers, kcat). And one runner per data directory: of two
 * started at the same moment, exactly one wins; the other fails at once naming it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startStandIns } from '../../local/stand-ins.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function newDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-runner-'));
  dirs.push(dir);
  return dir;
}

interface Runner {
  readonly child: ChildProcess;
  readonly ready: Promise<boolean>;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

function startRunner(dataDir: string, kafka = false): Runner {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/local/fixtures/run-runtime.ts', dataDir, ...(kafka ? ['kafka'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (signal !== null) stderr += `killed by ${signal}\n`;
      resolve(code);
    }),
  );
  const ready = new Promise<boolean>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(true));
    void exited.then(() => resolve(false));
  });
  return { child, ready, exited, stderr: () => stderr };
}

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly cmdline: string;
}

/** Every live (not zombie) process, from /proc. */
function processes(): Proc[] {
  const all: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || state === 'X') continue;
      all.push({ pid: Number(entry), ppid: Number(ppid), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ') });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

function descendants(pid: number): number[] {
  const all = processes();
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const children = all.filter((p) => frontier.includes(p.ppid)).map((p) => p.pid);
    found.push(...children);
    frontier = children;
  }
  return found;
}

/** What still runs of a runner: the descendants it had when it was killed, and anything using its data directory. */
function survivors(pids: readonly number[], dataDir: string): Proc[] {
  return processes().filter((p) => pids.includes(p.pid) || p.cmdline.includes(dataDir));
}

async function noSurvivorsWithin(ms: number, pids: readonly number[], dataDir: string): Promise<Proc[]> {
  const deadline = Date.now() + ms;
  let left = survivors(pids, dataDir);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = survivors(pids, dataDir);
  }
  for (const p of left) process.kill(p.pid, 'SIGKILL'); // do not leave them to the next test
  return left;
}

/** The command line of a stand-in's tether: DynamoDB Local's JVM, s3rver or kinesalite. */
const STAND_IN = /DynamoDBLocal\.jar|s3rver|kinesalite/;

describe.skipIf(!existsSync('/proc/self/stat'))('a local runtime killed with -9', () => {
  const moments: readonly [string, number | 'ready' | 'first child' | 'second child' | 'third child', boolean][] = [
    ['the moment its first child (DynamoDB Local) exists', 'first child', false],
    ['the moment its second child (s3rver) exists, before it printed its port', 'second child', false],
    ['the moment its third child (kinesalite) exists, before it printed its port', 'third child', false],
    ['300 ms after it started', 300, false],
    ['1 s after it started', 1_000, false],
    ['2.5 s after it started', 2_500, false],
    ['once it is up', 'ready', false],
    ['once it is up, with the mock Kafka cluster', 'ready', true],
  ];
  for (const [when, moment, kafka] of moments) {
    it(`${when}: every stand-in it started dies with it within 5 s`, async () => {
      const dataDir = await newDir();
      const runner = startRunner(dataDir, kafka);
      if (moment === 'ready') expect(await runner.ready, runner.stderr()).toBe(true);
      else if (typeof moment === 'number') await new Promise((r) => setTimeout(r, moment));
      else {
        const wanted = moment === 'first child' ? 1 : moment === 'second child' ? 2 : 3;
        // Each child starts once the one before answers: DynamoDB Local may take up to its
        // start timeout (90 s, local/stand-ins.ts) on a loaded machine.
        const deadline = Date.now() + 95_000;
        // A child counts once its command line is a stand-in's tether: between its fork and
        // its exec it shows the runner's own, and /proc can fail to read it meanwhile. And the
        // children are listed once per look, so the assertion judges what the loop saw.
        const children = () => processes().filter((p) => p.ppid === runner.child.pid && STAND_IN.test(p.cmdline));
        let exited = false;
        void runner.exited.then(() => (exited = true));
        let found = children();
        while (found.length < wanted && !exited && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 5));
          found = children();
        }
        // A runner that ended, or children that never came, say why: its stderr and its children.
        const seen = found.map((p) => p.cmdline.slice(0, 120));
        expect(
          seen.length,
          `runner exited: ${exited}; children: ${JSON.stringify(seen)}; stderr: ${runner.stderr()}`,
        ).toBeGreaterThanOrEqual(wanted);
      }
      const pids = descendants(runner.child.pid!);
      // tether + JVM, tether + s3rver, tether + kinesalite (+ kcat)
      if (moment === 'ready') expect(pids.length).toBeGreaterThanOrEqual(kafka ? 7 : 6);
      runner.child.kill('SIGKILL');
      await runner.exited;
      expect(await noSurvivorsWithin(5_000, pids, dataDir)).toEqual([]);

      // The next runner on the directory starts (the lock went with the process).
      const next = startRunner(dataDir);
      expect(await next.ready, next.stderr()).toBe(true);
      next.child.kill('SIGTERM');
      expect(await next.exited, next.stderr()).toBe(0);
      expect(await noSurvivorsWithin(5_000, [], dataDir)).toEqual([]);
    }, 180_000);
  }
});

describe('two runners on one data directory', () => {
  it('two starts of the stand-ins at the same moment in one process: the second is refused at once', async () => {
    const dataDir = await newDir();
    const [first, second] = await Promise.allSettled([startStandIns({ dataDir }), startStandIns({ dataDir })]);
    const won = [first, second].filter((r) => r.status === 'fulfilled');
    const lost = [first, second].filter((r) => r.status === 'rejected');
    for (const r of won) await r.value.stop();
    expect(won).toHaveLength(1);
    expect(String(lost[0]?.reason)).toContain(`stand-ins in ${dataDir} are in use by process ${process.pid}`);
  }, 120_000);

  it('started at the same moment: exactly one wins, the other fails at once naming it; a third is refused too', async () => {
    const dataDir = await newDir();
    const spawnedAt = Date.now();
    const runners = [startRunner(dataDir), startRunner(dataDir)];
    const loserExit = await Promise.race(runners.map((r, i) => r.exited.then((code) => ({ i, code, afterMs: Date.now() - spawnedAt }))));
    const winner = runners[1 - loserExit.i]!;
    const loser = runners[loserExit.i]!;
    expect(loserExit.code, loser.stderr()).toBe(1);
    expect(loser.stderr()).toMatch(new RegExp(`stand-ins in ${dataDir} are in use by process ${winner.child.pid}\\b`));
    // At once: the time to load the program and be refused, not a stand-in's start-up timeout (30 s).
    expect(loserExit.afterMs).toBeLessThan(15_000);
    expect(await winner.ready, winner.stderr()).toBe(true);

    // The loser left nothing that would let a third runner in, and took nothing of the winner's.
    const third = startRunner(dataDir);
    expect(await third.exited).toBe(1);
    expect(third.stderr()).toContain(`in use by process ${winner.child.pid}`);
    expect(JSON.parse(readFileSync(join(dataDir, 'stand-ins.pid.json'), 'utf8')).ownerPid).toBe(winner.child.pid);

    winner.child.kill('SIGTERM');
    expect(await winner.exited).toBe(0);
    expect(existsSync(join(dataDir, 'stand-ins.pid.json'))).toBe(false);
    expect(await noSurvivorsWithin(5_000, [], dataDir)).toEqual([]);
  }, 120_000);
});

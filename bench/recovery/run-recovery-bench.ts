/**
 * `npm run bench:recovery`: recovery time after kill -9. For each run, in a fresh data
 * directory, a child process (recovery-child.ts) runs the local runtime and the recovery
 * job, whose one key group holds `keys` keys of state; the parent kills it with SIGKILL
 * the moment its batch enters `killAt` (by default ExecuteKeyGroups: stage 1 done, stage
 * 2 about to load the state), so the stand-ins die with it (their tethers). A second
 * child starts on the same directory and resumes the job; it reports the stand-ins'
 * start-up and, separately, the time from the driver's restart to its first committed
 * batch, with the Lambda time and AWS requests in between (what the resumed batch does).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvariantError } from '../../engine/errors.js';
import type { Progress } from '../environment.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { STAND_IN_NOTE } from '../run-bench.js';
import { percentiles, type Percentiles } from '../latency/latency-math.js';
import { CHILD_PREFIX, type ChildArgs, type ResumeFigures } from './recovery-child.js';

export const RECOVERY_GOAL_MS = 2_000;

export interface RecoveryOptions {
  readonly keys: number;
  readonly records: number;
  readonly runs: number;
  /** The Express state whose start the kill waits for. */
  readonly killAt: string;
  /** Then this long before the kill. */
  readonly killAfterMs: number;
  readonly keep: boolean;
  /** Warm the stand-ins up before the driver's restart (warm-up.ts). */
  readonly warmUp: boolean;
  /** Write a V8 CPU profile of each resuming process into this directory (node --cpu-prof). */
  readonly cpuProfDir?: string;
  readonly progress: Progress;
}

export interface RecoveryRun {
  readonly dataDir: string | null;
  /** Starts of the resuming process: more than 1 when a stand-in did not come up in time (a loaded machine) and it was started again. */
  readonly resumeStarts: number;
  /** The states the batch had entered when it was killed. */
  readonly killedAfter: readonly string[];
  readonly figures: ResumeFigures;
}

export interface RecoveryReport {
  readonly machine: MachineInfo;
  readonly loadAverageAtEnd: number;
  readonly note: string;
  readonly options: Omit<RecoveryOptions, 'progress'>;
  readonly runs: readonly RecoveryRun[];
  /** Driver restart to first committed batch, over the runs. */
  readonly firstCommitMs: Percentiles;
  readonly standInsMs: Percentiles;
  readonly goalMs: number;
  readonly exact: boolean;
}

const CHILD = fileURLToPath(new URL('./recovery-child.ts', import.meta.url));

export async function runRecoveryBench(options: RecoveryOptions): Promise<RecoveryReport> {
  const { progress } = options;
  const machine = machineInfo();
  const runs: RecoveryRun[] = [];
  for (let i = 1; i <= options.runs; i += 1) {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-recovery-'));
    try {
      const args: ChildArgs = { phase: 'crash', dataDir, keys: options.keys, records: options.records };
      progress(
        `run ${i}: ${options.keys.toLocaleString('en-US')} keys planted, ${options.records.toLocaleString('en-US')} records; kill -9 in ${options.killAt}`,
      );
      const killedAfter = await untilStarted(progress, async () => {
        // A failed start leaves nothing to keep: each attempt starts from an empty directory.
        await rm(dataDir, { recursive: true, force: true });
        await mkdir(dataDir);
        return crashChild(args, options);
      });
      progress(`  killed after ${killedAfter.join(' → ')}; restarting on ${dataDir}`);
      await standInsGone(dataDir);
      let resumeStarts = 0;
      const figures = await untilStarted(progress, () => {
        resumeStarts += 1;
        return resumeChild({ ...args, phase: 'resume', warmUp: options.warmUp }, options.cpuProfDir);
      });
      progress(
        `  stand-ins ${Math.round(figures.standInsMs)} ms, driver restart → first commit ${Math.round(figures.firstCommitMs)} ms ` +
          `(batch ${figures.batchId}${figures.resumed ? ', resumed' : ''}), sink ${figures.exact ? 'exact' : 'NOT exact'}`,
      );
      runs.push({ dataDir: options.keep ? dataDir : null, resumeStarts, killedAfter, figures });
    } finally {
      if (!options.keep) await rm(dataDir, { recursive: true, force: true });
    }
  }
  const { progress: _, ...settings } = options;
  return {
    machine,
    loadAverageAtEnd: Math.round(loadavg()[0]! * 100) / 100,
    note: STAND_IN_NOTE,
    options: settings,
    runs,
    firstCommitMs: percentiles(runs.map((r) => r.figures.firstCommitMs)),
    standInsMs: percentiles(runs.map((r) => r.figures.standInsMs)),
    goalMs: RECOVERY_GOAL_MS,
    exact: runs.every((r) => r.figures.exact),
  };
}

/** A child whose stand-ins did not come up within their start-up timeout (a loaded machine) is started again, up to 3 times. */
async function untilStarted<T>(progress: Progress, start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= 3 || !(error instanceof StartFailedError)) throw error;
      progress(`  the stand-ins did not come up in time (attempt ${attempt}); starting the process again`);
    }
  }
}

class StartFailedError extends InvariantError {}

/** What the child printed when a stand-in did not start within its timeout (local/stand-ins.ts). */
const START_FAILED = /did not (answer|start) (at .* )?within/;

function spawnChild(
  args: ChildArgs,
  onEvent: (event: { type: string } & Record<string, unknown>, kill: () => void) => void,
  cpuProfDir?: string,
) {
  const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', CHILD, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  let buffered = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    buffered += c;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith(CHILD_PREFIX)) onEvent(JSON.parse(line.slice(CHILD_PREFIX.length)), () => child.kill('SIGKILL'));
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { exited, stderr: () => stderr };
}

/** Runs the crash phase and kills it with SIGKILL inside the batch; returns the states it had entered. */
async function crashChild(args: ChildArgs, options: RecoveryOptions): Promise<string[]> {
  const states: string[] = [];
  let killing = false;
  const child = spawnChild(args, (event, kill) => {
    if (event.type !== 'state' || killing) return;
    states.push(String(event.state));
    if (event.state !== options.killAt) return;
    killing = true;
    setTimeout(kill, options.killAfterMs);
  });
  const { code, signal } = await child.exited;
  if (signal !== 'SIGKILL') {
    if (START_FAILED.test(child.stderr())) throw new StartFailedError(child.stderr());
    throw new InvariantError(`the crash child ended (${code ?? signal}) before the kill in ${options.killAt}:\n${child.stderr()}`);
  }
  return states;
}

async function resumeChild(args: ChildArgs, cpuProfDir?: string): Promise<ResumeFigures> {
  let figures: ResumeFigures | undefined;
  const child = spawnChild(
    args,
    (event) => {
      if (event.type === 'figures') figures = event.figures as ResumeFigures;
    },
    cpuProfDir,
  );
  const { code } = await child.exited;
  if (code !== 0 && START_FAILED.test(child.stderr())) throw new StartFailedError(child.stderr());
  if (code !== 0 || figures === undefined) throw new InvariantError(`the resume child exited with ${code}:\n${child.stderr()}`);
  return figures;
}

/** Waits (up to 10 s) until no process started for the directory runs: the killed child's stand-ins end with their tethers. */
async function standInsGone(dataDir: string): Promise<void> {
  if (!existsSync('/proc/self/cmdline')) return;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && usingDir(dataDir)) await new Promise((resolve) => setTimeout(resolve, 100));
}

function usingDir(dataDir: string): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dataDir)) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

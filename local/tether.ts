/**
 * A child process tied to this one: it dies with this process whatever moment this
 * process dies, even by kill -9 between two statements.
 *
 * The program is not started directly but through a small Node "tether" process that
 * starts it and watches this process two ways: its standard input (a pipe only this
 * process holds the write end of: it closes when this process dies, however it dies) and
 * its parent pid (it changes when this process dies and the tether is re-parented). When
 * either says this process is gone, the tether stops the program (SIGTERM, SIGKILL after
 * a grace period) and exits. The tether starts the program itself, so there is no moment
 * when the program runs and nothing watches it: if this process dies before the tether has
 * started the program, the tether does not start it.
 *
 * The tether leads its own process group (the program is in it too), so `killGroup` stops
 * both at once: after a crash, the next runner kills a stale group by the pid it recorded.
 * Being in their own group, the stand-ins do not receive a terminal's Ctrl-C: this process
 * stops them when it handles the signal, and the tether stops them when it dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Grace period between SIGTERM and SIGKILL when the parent is gone. */
const GRACE_MS = 3_000;
const PARENT_POLL_MS = 250;

const TETHER = `
const { spawn } = require('node:child_process');
const [command, ...args] = process.argv.slice(1);
const parent = process.ppid;
let child;
let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) process.exit(0);
  try { child.kill(signal); } catch {}
  setTimeout(() => { try { child.kill('SIGKILL'); } catch {} process.exit(1); }, ${GRACE_MS});
};
const parentGone = () => stop('SIGTERM');
process.stdin.on('end', parentGone);
process.stdin.on('error', parentGone);
process.stdin.on('close', parentGone);
process.stdin.resume();
setInterval(() => { if (process.ppid !== parent) parentGone(); }, ${PARENT_POLL_MS});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop(signal));
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
if (!stopping && process.ppid === parent) {
  child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('error', (error) => { process.stderr.write('could not start ' + command + ': ' + error.message + '\\n'); process.exit(127); });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
`;

export interface TetherOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts `command args` through a tether. The returned process is the tether: its stdout
 * and stderr are the program's, its pid leads the group, its exit is the program's exit
 * (a program killed by a signal shows as code 128). Its command line contains the
 * program's, so markers in it still identify the program.
 */
export function spawnTethered(command: string, args: readonly string[], options: TetherOptions = {}): ChildProcess {
  return spawn(process.execPath, ['-e', TETHER, '--', command, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
}

/** Sends a signal to a process group led by `pid` (a tether and its program); false if it is gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

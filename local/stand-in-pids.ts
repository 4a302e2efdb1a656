/**
 * `<dataDir>/stand-ins.pid.json`: the stand-ins' process ids (their tethers, each leading
 * a process group with its program: ./tether.ts), written as soon as each exists, so that
 * after a kill -9 the next runner on the directory can kill any left running. Read and
 * written only by the holder of the directory's lock (./data-dir-lock.ts); a clean stop
 * removes it only if it names its own process.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError } from '../engine/errors.js';
import { isAlive } from './process-alive.js';
import { killGroup } from './tether.js';

const PID_FILE = 'stand-ins.pid.json';

export interface PidFile {
  readonly ownerPid: number;
  readonly children: { readonly name: string; readonly pid: number; readonly marker: string }[];
}

/** Marks in a process's command line that tell our children apart from a reused pid. */
const DYNAMODB_MARKER = 'DynamoDBLocal.jar';
export const S3_MARKER = 'sluice-s3rver';
export const KINESIS_MARKER = 'sluice-kinesalite';

export async function writePidFile(dataDir: string, java: ChildProcess, s3?: ChildProcess, kinesis?: ChildProcess): Promise<void> {
  const content: PidFile = {
    ownerPid: process.pid,
    children: [
      { name: 'dynamodb-local', pid: java.pid ?? -1, marker: DYNAMODB_MARKER },
      { name: 's3rver', pid: s3?.pid ?? -1, marker: S3_MARKER },
      { name: 'kinesalite', pid: kinesis?.pid ?? -1, marker: KINESIS_MARKER },
    ].filter((c) => c.pid > 0),
  };
  await writeFile(join(dataDir, PID_FILE), JSON.stringify(content, null, 2));
}

/** Removes the pid file if this process wrote it: never another runner's record. */
export async function removePidFile(dataDir: string): Promise<void> {
  const file = join(dataDir, PID_FILE);
  try {
    if ((JSON.parse(await readFile(file, 'utf8')) as PidFile).ownerPid !== process.pid) return;
  } catch {
    return;
  }
  await rm(file, { force: true });
}

export function inUse(dataDir: string, holderPid: number | null): ConflictError {
  let children = '';
  try {
    const recorded = JSON.parse(readFileSync(join(dataDir, PID_FILE), 'utf8')) as PidFile;
    if (recorded.ownerPid === holderPid && recorded.children.length > 0) {
      children = ` (${recorded.children.map((child) => `${child.name} ${child.pid}`).join(', ')})`;
    }
  } catch {
    // No record yet: the holder is still starting.
  }
  const who = holderPid === null ? 'another process' : `process ${holderPid}`;
  return new ConflictError(`stand-ins in ${dataDir} are in use by ${who}${children}; stop them first`);
}

/**
 * Kills children that a previous run left behind, by their process groups (tether and
 * program). Called with the data directory's lock held: whoever recorded them no longer
 * holds the directory, so every one still running is stale.
 */
export async function killStaleChildren(dataDir: string, log: (line: string) => void): Promise<void> {
  const file = join(dataDir, PID_FILE);
  let recorded: PidFile;
  try {
    recorded = JSON.parse(await readFile(file, 'utf8')) as PidFile;
  } catch {
    return;
  }
  const running = (recorded.children ?? []).filter((child) => isAlive(child.pid) && commandLineHas(child.pid, child.marker));
  for (const child of running) {
    log(`killing stale ${child.name} (pid ${child.pid}) left by process ${recorded.ownerPid}`);
    if (!killGroup(child.pid, 'SIGKILL')) continue;
    for (let i = 0; i < 50 && isAlive(child.pid); i += 1) await new Promise((r) => setTimeout(r, 100));
  }
  await rm(file, { force: true });
}
/** On Linux, checks that a pid still runs our program (pids are reused); elsewhere trusts the record. */
function commandLineHas(pid: number, marker: string): boolean {
  const path = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(path, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

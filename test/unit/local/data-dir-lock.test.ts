/** The data directory's lock (local/data-dir-lock.ts): exclusive, names its holder, released when the holder dies. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../../local/data-dir-lock.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function newDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-lock-'));
  dirs.push(dir);
  return dir;
}

describe('the data directory lock', () => {
  it('is exclusive: a second taker is told the holder pid; after release it can be taken again', async () => {
    const dir = await newDir();
    const first = await lockDataDir(dir);
    expect(first.locked).toBe(true);
    expect(await lockDataDir(dir)).toEqual({ locked: false, holderPid: process.pid });
    // Another directory is another lock.
    const other = await lockDataDir(await newDir());
    expect(other.locked).toBe(true);
    if (first.locked) await first.lock.release();
    if (other.locked) await other.lock.release();
    const again = await lockDataDir(dir);
    expect(again.locked).toBe(true);
    if (again.locked) await again.lock.release();
  });

  it('of many takers at the same moment, exactly one wins', async () => {
    const dir = await newDir();
    const results = await Promise.all(Array.from({ length: 8 }, () => lockDataDir(dir)));
    expect(results.filter((r) => r.locked)).toHaveLength(1);
    for (const r of results) if (r.locked) await r.lock.release();
  });

  it('is released by the operating system when its holder is killed with -9', async () => {
    const dir = await newDir();
    // The holder: another process that took the lock through the same module.
    const module = new URL('../../../local/data-dir-lock.ts', import.meta.url).href;
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        'const { lockDataDir } = await import(process.argv[1]); const r = await lockDataDir(process.argv[2]); console.log(r.locked); setInterval(() => {}, 1000);',
        module,
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    expect(await lockDataDir(dir)).toEqual({ locked: false, holderPid: holder.pid });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    const taken = await lockDataDir(dir);
    expect(taken.locked).toBe(true);
    if (taken.locked) await taken.lock.release();
  });
});

/** npm run copy-dead-letters: its help, and the arguments it refuses before reading any table. */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runProcess, type Run } from '../../support/child-process.js';

function run(args: readonly string[]): Promise<Run> {
  return runProcess(process.execPath, ['--import', 'tsx', 'scripts/copy-dead-letters.ts', ...args], {
    env: { ...process.env, SLUICE_WAL_TABLE: '', SLUICE_DEAD_LETTER_TABLE: '', SLUICE_CHECKPOINT_BUCKET: '' },
  });
}

describe('npm run copy-dead-letters: arguments', () => {
  it('prints its help, refuses bad flags with exit 2, and a data directory that does not exist with exit 3', async () => {
    const missingDir = join(tmpdir(), `sluice-no-such-dir-${process.pid}`);
    const [help, badCount, awsOnly, awsMissing, noData] = await Promise.all([
      run(['--help']),
      run(['--letters-per-put', '0']),
      run(['--dead-letter-table', 'd']),
      run(['--aws', '--dead-letter-table', 'd']),
      run(['--dry-run', '--data-dir', missingDir]),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run copy-dead-letters -- [--job <id>] [--dry-run] [options]');
    expect(help.stdout).toMatch(/An old item is deleted only after the bundle that holds its letter is written/);
    expect(badCount).toMatchObject({ code: 2, stderr: expect.stringContaining("option '--letters-per-put <n>' argument '0' is invalid") });
    expect(awsOnly).toMatchObject({ code: 2, stderr: expect.stringContaining('--dead-letter-table needs --aws') });
    expect(awsMissing).toMatchObject({ code: 2, stderr: expect.stringContaining('--aws needs --wal-table') });
    expect(noData).toMatchObject({ code: 3, stderr: expect.stringContaining(`no local runtime data in ${missingDir}`) });
  });
});

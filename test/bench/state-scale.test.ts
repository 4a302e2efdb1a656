/**
 * The state-scale benchmark runs end to end and checks itself (each measured batch must
 * commit and leave exactly N state rows, or the child fails). Its figures are not
 * asserted: benchmarks print figures, tests check behaviour.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-state.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench:state', () => {
  it('measures one batch per state size and write kind in fresh processes, and reports them', async () => {
    const { code, stdout, stderr } = await runScript(['--keys', '1000,3000', '--records', '200', '--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as {
      records: number;
      cases: { keys: number; snapshot: boolean; stateRowsAfter: number; peakRssMb: number; snapshotBytes: number }[];
    };
    expect(report.records).toBe(200);
    expect(report.cases.map((c) => [c.keys, c.snapshot])).toEqual([
      [1000, false],
      [1000, true],
      [3000, false],
      [3000, true],
    ]);
    for (const c of report.cases) {
      expect(c.stateRowsAfter).toBe(c.keys);
      expect(c.peakRssMb).toBeGreaterThan(0);
      expect(c.snapshotBytes).toBeGreaterThan(c.keys * 10);
    }
    expect(stderr).toContain('running batch 2 in a fresh process');
  }, 180_000);

  it('refuses bad flags with exit code 2 and the usage', async () => {
    const bad = await runScript(['--keys', '1000,x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "error: option '--keys <n,n,...>' argument '1000,x' is invalid. Expected positive integers separated by commas.",
    );
    const tooMany = await runScript(['--keys', '100', '--records', '500']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('--records (500) must not exceed the smallest --keys (100)');
  });
});

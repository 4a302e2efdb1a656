import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runProcess, type Run } from '../../support/child-process.js';

function run(script: string, args: readonly string[]): Promise<Run> {
  return runProcess(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, SLUICE_WAL_TABLE: '', SLUICE_DEAD_LETTER_TABLE: '', SLUICE_CHECKPOINT_BUCKET: '' },
  });
}

const missingDir = join(tmpdir(), `sluice-no-such-dir-${process.pid}`);

describe('npm run replay / npm run checkpoints: arguments', () => {
  it('print their help, refuse bad flags with exit 2, and a data directory that does not exist with exit 3', async () => {
    const [help, noJob, badBatch, awsOnly, awsMissing, noData, forced, forceValue, cpHelp, cpNoCommand, cpNoPartition, cpNoData] =
      await Promise.all([
        run('scripts/replay.ts', ['--help']),
        run('scripts/replay.ts', ['--from-batch', '3']),
        run('scripts/replay.ts', ['--job', 'j', '--from-batch', 'three']),
        run('scripts/replay.ts', ['--job', 'j', '--from-batch', '3', '--wal-table', 'w']),
        run('scripts/replay.ts', ['--job', 'j', '--from-batch', '3', '--aws', '--wal-table', 'w']),
        run('scripts/replay.ts', ['--job', 'j', '--from-batch', '3', '--dry-run', '--data-dir', missingDir]),
        run('scripts/replay.ts', ['--job', 'j', '--from-batch', '3', '--into', 'k', '--force', '--data-dir', missingDir]),
        run('scripts/replay.ts', ['--job', 'j', '--from-batch', '3', '--force=yes']),
        run('scripts/checkpoints.ts', ['-h']),
        run('scripts/checkpoints.ts', ['--job', 'j']),
        run('scripts/checkpoints.ts', ['show', '--job', 'j']),
        run('scripts/checkpoints.ts', ['list', '--job', 'j', '--data-dir', missingDir]),
      ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run replay -- --job <id> --from-batch <N>');
    expect(help.stdout).toContain('--dry-run');
    expect(help.stdout).toContain('[--into <new job id>] [--regroup] [--force] [--dry-run]');
    expect(help.stdout).toMatch(/--force +take the job's sinks over from the stopped or/);
    expect(noJob).toMatchObject({ code: 2, stderr: expect.stringContaining("error: required option '--job <id>' not specified") });
    expect(badBatch).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error: option '--from-batch <N>' argument 'three' is invalid. Expected an integer >= 0."),
    });
    expect(awsOnly).toMatchObject({ code: 2, stderr: expect.stringContaining('--wal-table needs --aws') });
    expect(awsMissing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--aws needs --dead-letter-table (or $SLUICE_DEAD_LETTER_TABLE)'),
    });
    expect(noData).toMatchObject({ code: 3, stderr: expect.stringContaining(`no local runtime data in ${missingDir}`) });
    // --force is a flag: accepted (the run then stops at the missing data directory), and takes no value.
    expect(forced).toMatchObject({ code: 3, stderr: expect.stringContaining(`no local runtime data in ${missingDir}`) });
    expect(forceValue).toMatchObject({ code: 2, stderr: expect.stringContaining("error: unknown option '--force=yes'") });
    expect(cpHelp.code).toBe(0);
    expect(cpHelp.stdout).toContain('npm run checkpoints -- show --job <id> (--partition <p> | --group <g>)');
    expect(cpNoCommand).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one command, list or show; got none') });
    expect(cpNoPartition).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('error: show needs one of --partition <p> and --group <g>'),
    });
    expect(cpNoData).toMatchObject({ code: 3, stderr: expect.stringContaining('no local runtime data') });
  });

  it('refuse integers that are not plain digits and --param names that are not plain keys, with exit 2', async () => {
    const [exponent, hex, fraction, proto, regroupValue, bigGroup, both] = await Promise.all([
      run('scripts/replay.ts', ['--job', 'j', '--from-batch', '1e3']),
      run('scripts/checkpoints.ts', ['show', '--job', 'j', '--partition', 'p', '--limit', '0x10']),
      run('scripts/checkpoints.ts', ['show', '--job', 'j', '--partition', 'p', '--version', '1.5']),
      run('scripts/replay.ts', ['--job', 'j', '--from-batch', '3', '--param', '__proto__=1']),
      run('scripts/replay.ts', ['--job', 'j', '--from-batch', '3', '--regroup=8']),
      run('scripts/checkpoints.ts', ['show', '--job', 'j', '--group', '256']),
      run('scripts/checkpoints.ts', ['show', '--job', 'j', '--group', '3', '--partition', 'p']),
    ]);
    expect(exponent).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error: option '--from-batch <N>' argument '1e3' is invalid. Expected an integer >= 0."),
    });
    expect(hex).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error: option '--limit <n>' argument '0x10' is invalid. Expected a positive integer."),
    });
    expect(fraction).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error: option '--version <v>' argument '1.5' is invalid. Expected an integer >= 0."),
    });
    expect(proto).toMatchObject({ code: 2, stderr: expect.stringContaining('__proto__ cannot be a parameter name') });
    // --regroup takes no value: the number of key groups is the job's own.
    expect(regroupValue).toMatchObject({ code: 2, stderr: expect.stringContaining("error: unknown option '--regroup=8'") });
    expect(bigGroup).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error: option '--group <g>' argument '256' is invalid. Expected an integer from 0 to 255."),
    });
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining('error: show needs one of --partition <p> and --group <g>') });
  });
});

/** The command line of `npm run smoke` (scripts/smoke.ts, cli/commands/smoke.ts): help, and bad arguments refused with exit 2 before any request. */
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../support/child-process.js';

const smoke = (args: readonly string[]) => runProcess(process.execPath, ['--import', 'tsx', 'scripts/smoke.ts', ...args]);

describe('npm run smoke: arguments', () => {
  it('prints its help with both forms and every exit code', async () => {
    const help = await smoke(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run smoke -- --stack <name> [options]\n       npm run smoke -- --endpoint <url> [options]');
    for (const code of [0, 2, 3, 4, 5, 6, 7, 8, 9, 10]) expect(help.stdout).toMatch(new RegExp(`(^|[ ,])${code} [a-z]`, 'm'));
  });

  it.each([
    [[], 'give one of --stack <name> or --endpoint <url>'],
    [['--stack', 'Sluice', '--endpoint', 'http://127.0.0.1:4810'], 'give one of --stack <name> or --endpoint <url>'],
    [['--endpoint', 'ftp://example.com'], '--endpoint must be an http or https URL, got "ftp://example.com"'],
    [['--endpoint', 'not a url'], '--endpoint must be a URL, got "not a url"'],
    [['--stack', 'Sluice', '--records', '1e3'], "option '--records <n>' argument '1e3' is invalid"],
    [['--stack', 'Sluice', '--name', 'a/b'], '--name must be 3 to 128 letters, digits, _, . or -, got "a/b"'],
  ])('refuses %j with exit 2', async (args, message) => {
    const run = await smoke(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });
});

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { runProcess, type Run } from './child-process.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ScratchProject {
  readonly dir: string;
  remove(): void;
}

/** A new directory with a copy of jobs/ (the catalog and the jobs it imports; their tests left out). */
export function scratchProject(prefix: string): ScratchProject {
  mkdirSync(join(REPO, '.scratch'), { recursive: true });
  const dir = mkdtempSync(join(REPO, '.scratch', `${prefix}-`));
  cpSync(join(REPO, 'jobs'), join(dir, 'jobs'), {
    recursive: true,
    filter: (src) => !src.endsWith('.test.ts'),
  });
  // Its own vitest config, found before the repository's: its jobs' tests, no stand-ins.
  writeFileSync(join(dir, 'vitest.config.ts'), "export default { test: { include: ['jobs/**/*.test.ts'] } };\n");
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a clone of the repository holds that its commands, its jobs and their tests run from (no tests, docs or dependencies). */
const CLONE_ENTRIES = [
  'package.json',
  'tsconfig.json',
  'vitest.config.ts',
  'bench',
  'bin',
  'cli',
  'engine',
  'functions',
  'infra',
  'jobs',
  'local',
  'scripts',
];

/**
 * A new directory with a copy of the repository's sources (CLONE_ENTRIES; the jobs' tests
 * left out), as a user's clone of it: its `sluice` command (bin/sluice.js), its API and its
 * jobs all use its own jobs/catalog.ts. Its dependencies are the repository's node_modules,
 * which Node finds from .scratch/ by walking up.
 */
export function scratchClone(prefix: string): ScratchProject {
  mkdirSync(join(REPO, '.scratch'), { recursive: true });
  const dir = mkdtempSync(join(REPO, '.scratch', `${prefix}-`));
  for (const entry of CLONE_ENTRIES) {
    cpSync(join(REPO, entry), join(dir, entry), { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The type errors of `files` (and what they import) under the repository's tsconfig, one a line; '' when there are none. */
export function typeErrors(files: readonly string[]): string {
  const config = ts.readConfigFile(join(REPO, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO);
  const program = ts.createProgram([...files], { ...options, noEmit: true });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => {
      const where =
        d.file === undefined ? '' : `${relative(REPO, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `;
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    })
    .join('\n');
}

export type { Run } from './child-process.js';

/** Runs a command of the repository's node_modules/.bin (or node) in `cwd`. */
export function run(command: string, args: readonly string[], options: { cwd?: string } = {}): Promise<Run> {
  const env = { ...process.env };
  // A vitest run inside a test must not take the test worker's settings for its own.
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'TEST') delete env[name];
  const bin = command === 'node' ? process.execPath : join(REPO, 'node_modules', '.bin', command);
  return runProcess(bin, args, { cwd: options.cwd ?? REPO, env });
}

/** `biome ci` (what `npm test` runs: the formatter and the linter) on `files`, which the repository's ignore file would skip. */
export function biomeCi(files: readonly string[]): Promise<Run> {
  return run('biome', ['ci', '--vcs-use-ignore-file=false', ...files]);
}

/** Runs the vitest tests of the project's jobs (`filter`: a path under jobs/) in a child process. */
export function runVitest(project: ScratchProject, filter: string): Promise<Run> {
  return run('vitest', ['run', '--root', project.dir, '--reporter', 'verbose', filter], { cwd: project.dir });
}

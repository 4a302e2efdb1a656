/** Runs a child process to its end and keeps what it printed: the tests of the CLI and the scripts. */
import { spawn } from 'node:child_process';

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to the child's stdin, which is then closed; without it stdin is ignored. */
  readonly stdin?: string;
}

export function runProcess(file: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: options.env ?? process.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  });
}

/** `bin/sluice.js` with `env` added to this process's environment (minus the names in `unset`). */
export function runSluice(
  args: readonly string[],
  env: Record<string, string>,
  options: { stdin?: string; unset?: readonly string[] } = {},
): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of options.unset ?? []) delete childEnv[name];
  return runProcess(process.execPath, ['bin/sluice.js', ...args], {
    env: childEnv,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
}

/**
 * The frame of every operator command (replay, checkpoints): the options name where the
 * job lives (a bad combination is a usage error, exit 2), the environment is opened, the
 * command's body runs, and the environment is closed whatever happened. The exit code is
 * the body's, or, for what the body (or opening) throws, `onError`'s; but no AWS
 * credentials (with --aws) is its own line and exit code (NO_CREDENTIALS), for every command.
 */
import type { Command } from 'commander';
import { isMissingCredentials, NO_CREDENTIALS, NO_CREDENTIALS_HINT } from './aws-credentials.js';
import type { OperatorEnvironment } from './operator-environment.js';
import { type OperatorTargetValues, operatorTargetOf } from './operator-target-options.js';
import { usageError } from './program.js';

export async function runOperatorCommand(
  command: Command,
  options: OperatorTargetValues & { readonly verbose?: boolean },
  body: (env: OperatorEnvironment) => Promise<number>,
  onError: (error: unknown) => number,
): Promise<never> {
  let target: ReturnType<typeof operatorTargetOf>;
  try {
    target = operatorTargetOf(options, process.env);
  } catch (error) {
    return usageError(command, error instanceof Error ? error.message : String(error));
  }
  let env: OperatorEnvironment | undefined;
  let code: number;
  try {
    // Loaded here, not at the top: the help of every command stays quick to print.
    const { openOperatorEnvironment } = await import('./operator-environment.js');
    env = await openOperatorEnvironment(target, { verbose: options.verbose ?? false });
    code = await body(env);
  } catch (error) {
    code = isMissingCredentials(error) ? noCredentials(error) : onError(error);
  } finally {
    await env?.close();
  }
  process.exit(code);
}

function noCredentials(error: unknown): number {
  console.error(`error: no AWS credentials: ${error instanceof Error ? error.message : String(error)}`);
  console.error(NO_CREDENTIALS_HINT);
  return NO_CREDENTIALS;
}

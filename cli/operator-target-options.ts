/**
 * The options of the operator commands (sluice replay, sluice checkpoints) that say where
 * the job lives: the local runtime's data directory, or AWS with its table and bucket
 * names (cli/operator-environment.ts opens either).
 */
import { Option, type Command } from 'commander';
import { InvalidArgumentError } from '../engine/errors.js';
import { DEFAULT_DATA_DIR } from '../local/defaults.js';
import type { OperatorTarget } from './operator-environment.js';

export interface OperatorTargetValues {
  readonly dataDir?: string | undefined;
  readonly aws?: boolean | undefined;
  readonly walTable?: string | undefined;
  readonly deadLetterTable?: string | undefined;
  readonly bucket?: string | undefined;
  readonly statePrefix?: string | undefined;
  readonly region?: string | undefined;
}

/** Adds the options, under their own heading of the help. */
export function withOperatorTargetOptions(command: Command): Command {
  const group = `where the job lives (default: the local runtime in ${DEFAULT_DATA_DIR}):`;
  const options = [
    new Option(
      '--data-dir <dir>',
      "the local runtime's data directory (the stand-ins of npm run api or npm start when one runs on it, from its endpoints.json; else they are started for the command)",
    ),
    new Option(
      '--aws',
      'AWS instead; endpoint, region and credentials from the usual SDK configuration (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB...)',
    ),
    new Option('--wal-table <name>', 'with --aws (or $SLUICE_WAL_TABLE)'),
    new Option('--dead-letter-table <name>', 'with --aws (or $SLUICE_DEAD_LETTER_TABLE)'),
    new Option('--bucket <name>', 'with --aws: the checkpoint bucket (or $SLUICE_CHECKPOINT_BUCKET)'),
    new Option('--state-prefix <prefix>', 'with --aws: prefix of the state objects (default jobs/)'),
    new Option('--region <region>', "with --aws (default: the SDK's)"),
  ];
  for (const option of options) command.addOption(option.helpGroup(group));
  return command;
}

/** The flag of each AWS-only value, for the messages. */
const AWS_ONLY = [
  ['walTable', '--wal-table'],
  ['deadLetterTable', '--dead-letter-table'],
  ['bucket', '--bucket'],
  ['statePrefix', '--state-prefix'],
  ['region', '--region'],
] as const;

/**
 * The target the options name; throws InvalidArgumentError on a bad combination. The
 * environment variables are the Lambda functions' own (functions/env.ts).
 */
export function operatorTargetOf(
  values: OperatorTargetValues,
  env: NodeJS.ProcessEnv,
  defaultDataDir: string = DEFAULT_DATA_DIR,
): OperatorTarget {
  const awsOnly = AWS_ONLY.filter(([key]) => values[key] !== undefined).map(([, flag]) => flag);
  if (!values.aws) {
    if (awsOnly.length > 0) throw new InvalidArgumentError(`${awsOnly[0]} needs --aws`);
    return { kind: 'local', dataDir: values.dataDir ?? defaultDataDir };
  }
  if (values.dataDir !== undefined) throw new InvalidArgumentError('--data-dir and --aws exclude each other');
  const named = (key: 'walTable' | 'deadLetterTable' | 'bucket', flag: string, variable: string): string => {
    const value = values[key] ?? env[variable];
    if (value === undefined || value === '') throw new InvalidArgumentError(`--aws needs ${flag} (or $${variable})`);
    return value;
  };
  return {
    kind: 'aws',
    walTable: named('walTable', '--wal-table', 'SLUICE_WAL_TABLE'),
    deadLetterTable: named('deadLetterTable', '--dead-letter-table', 'SLUICE_DEAD_LETTER_TABLE'),
    bucket: named('bucket', '--bucket', 'SLUICE_CHECKPOINT_BUCKET'),
    ...(values.statePrefix === undefined ? {} : { statePrefix: values.statePrefix }),
    ...(values.region === undefined ? {} : { region: values.region }),
  };
}

/**
 * The house rules of every command of the command-line tools (commander), so that `sluice
 * <command>` and its npm script (`npm run <script> --`) parse, print help and fail alike:
 *
 * - a usage error (an unknown flag, a bad value, a missing argument) prints `error: ...`,
 *   then the command's help, on stderr, and exits 2: every command documents 2 as "bad
 *   arguments", whatever its other exit codes mean (commander's own default is 1, which
 *   several commands use for a failed operation);
 * - `-h, --help` prints the help on stdout and exits 0;
 * - the help reads as the commands always did: lower-case headings, a usage line per form
 *   of the command (`.usage()` may hold several, one a line), and option descriptions as
 *   written (each states its default in its own words, so commander adds none).
 */
import { Command, type CommanderError, type Help } from 'commander';

/** The exit code of a usage error, for every command. */
export const USAGE_ERROR = 2;

/** A command with the house rules; its name is how the help's usage line calls it. */
export function newCommand(name: string): Command {
  return new Command(name).helpOption('-h, --help', 'show this help').configureHelp(HELP).showHelpAfterError().exitOverride(exit);
}

/** For a command with subcommands: `<command> help <subcommand>`. */
export function withHelpCommand(command: Command): Command {
  return command.helpCommand('help [command]', 'show the help of a command');
}

/** Refuses the command line: `error: <message>`, the command's help, exit 2. */
export function usageError(command: Command, message: string): never {
  return command.error(`error: ${message}`, { exitCode: USAGE_ERROR, code: 'sluice.usage' });
}

/** Help and version exit 0; every error commander finds on a command line is a usage error. */
function exit(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : error.code.startsWith('commander.') ? USAGE_ERROR : error.exitCode);
}

const TITLES: Readonly<Record<string, string>> = {
  'Usage:': 'usage:',
  'Arguments:': 'arguments:',
  'Options:': 'options:',
  'Commands:': 'commands:',
  'Global Options:': 'options of its parent command:',
};

const HELP: Partial<Help> = {
  // A subcommand's help lists the options its parent takes for it (checkpoints list|show).
  showGlobalOptions: true,
  styleTitle: (title) => TITLES[title] ?? title,
  optionDescription: (option) => option.description,
  commandUsage(command) {
    const names: string[] = [];
    for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
    const path = names.join(' ');
    // Continuation lines line up under the first form, after "usage: ".
    return command
      .usage()
      .split('\n')
      .map((form, i) => `${i === 0 ? '' : '       '}${path} ${form}`)
      .join('\n');
  },
};

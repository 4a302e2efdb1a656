/**
 * Whether a test run needs the local Kafka (kcat), from vitest's command line: a run of
 * the whole suite does, and so does a run given files or filters that name kafka (every
 * Kafka test's path does: test/contract/kafka-*, test/unit/kafka/, test/scenario/*kafka*).
 * `npx vitest run test/unit/infra` does not.
 */

/** vitest options followed by a value that is not a file filter. */
const WITH_VALUE = new Set([
  '-t',
  '--testNamePattern',
  '-c',
  '--config',
  '--project',
  '--reporter',
  '--exclude',
  '--shard',
  '--pool',
  '--root',
  '-r',
  '--dir',
  '--maxWorkers',
  '--minWorkers',
  '--outputFile',
  '--environment',
  '--mode',
]);
const COMMANDS = new Set(['run', 'watch', 'dev', 'related', 'bench']);

/** `argv` is process.argv of the vitest process: [node, vitest, ...arguments]. */
export function testRunNeedsKafka(argv: readonly string[]): boolean {
  const filters: string[] = [];
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      if (WITH_VALUE.has(arg)) i++;
      continue;
    }
    if (!COMMANDS.has(arg)) filters.push(arg);
  }
  return filters.length === 0 || filters.some((f) => /kafka/i.test(f));
}

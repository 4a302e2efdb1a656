/**
 * npm run bench:nexmark [-- --events 6000] [--seed 0] [--rate 200] [--trigger-seconds 5] [--queries q0,q5] [--json]
 * NEXMark queries on the local runtime (bench/nexmark/run-nexmark.ts); exits 1 when a sink differs from its reference.
 */
import { Command, InvalidArgumentError } from 'commander';
import { formatNexmarkReport } from '../bench/nexmark/format.js';
import { NEXMARK_BENCH_DEFAULTS, runNexmarkBench } from '../bench/nexmark/run-nexmark.js';
import { QUERY_NAMES, type NexmarkQuery } from '../jobs/nexmark/index.js';

const whole = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
  return n;
};
const queries = (value: string): NexmarkQuery[] => {
  const names = value.split(',').map((q) => q.trim());
  const unknown = names.filter((q) => !(QUERY_NAMES as string[]).includes(q));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown ${unknown.join(', ')}; the queries are ${QUERY_NAMES.join(', ')}`);
  return names as NexmarkQuery[];
};

const d = NEXMARK_BENCH_DEFAULTS;
const program = new Command('npm run bench:nexmark --')
  .description(
    "Runs NEXMark queries on the local runtime through the driver state machines, checks each sink against a reference computed from the events, and prints events/s, AWS requests per 1,000 events, state bytes per batch and the cost meter's monthly bill.",
  )
  .option('--events <n>', `events to generate (default ${d.events})`, whole(1), d.events)
  .option('--seed <n>', `the generator's seed, 0 for Beam's own events (default ${d.seed})`, whole(0), d.seed)
  .option('--rate <n>', `events per second, of event time and for the bill (default ${d.rate})`, whole(1), d.rate)
  .option(
    '--trigger-seconds <n>',
    `seconds between batches for the bill; a batch reads rate x trigger events (default ${d.triggerSeconds})`,
    whole(1),
    d.triggerSeconds,
  )
  .option('--queries <list>', `comma-separated (default all: ${QUERY_NAMES.join(',')})`, queries, QUERY_NAMES)
  .option('--json', 'print one JSON object instead of the text report')
  .action(async (o: { events: number; seed: number; rate: number; triggerSeconds: number; queries: NexmarkQuery[]; json?: boolean }) => {
    try {
      const report = await runNexmarkBench({ ...o, progress: (line) => process.stderr.write(`${line}\n`) });
      console.log(o.json ? JSON.stringify(report, null, 2) : formatNexmarkReport(report));
      process.exit(report.queries.every((q) => q.comparison.exact) ? 0 : 1);
    } catch (error) {
      console.error(`bench:nexmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(3);
    }
  });
await program.parseAsync();

/** The NEXMark benchmark's text report: one line per query, then the bill by component. */
import type { NexmarkReport } from './run-nexmark.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (n: number) => (n >= 100 ? `$${Math.round(n)}` : `$${n.toFixed(2)}`);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}

export function formatNexmarkReport(report: NexmarkReport): string {
  const { machine, settings } = report;
  const lines = [
    `NEXMark on the local runtime (${report.note})`,
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node.js ${machine.node}; load average ${machine.loadAverageAtStart} at start, ${report.loadAverageAtEnd} at end`,
    `input: ${int(report.input.events)} events (seed ${settings.seed}, ${int(settings.rate)} events/s of event time), ${int(report.input.bytes)} bytes on ${settings.shards} shards, written in ${report.input.writeSeconds.toFixed(1)} s`,
    `batches: up to ${int(settings.recordsPerShard)} records per shard (${int(settings.rate)} events/s x ${settings.triggerSeconds} s trigger), through the driver state machines`,
    '',
    ...table(
      ['query', 'events', 'batches', 'events/s', 'AWS req/1k events', 'state bytes/batch', 'late', 'sink vs reference'],
      report.queries.map((q) => [
        q.query,
        int(q.records),
        String(q.batches),
        int(q.eventsPerSecond),
        q.requestsPer1000Events.toFixed(1),
        int(q.stateBytesPerBatch),
        int(q.lateRecords),
        q.comparison.exact
          ? `exact (${int(q.comparison.actual)} rows)`
          : `DIFFERS: ${q.comparison.missing.length} missing, ${q.comparison.unexpected.length} unexpected`,
      ]),
    ),
    '',
    `cost meter: an always-on job at ${int(settings.rate)} events/s, a batch every ${settings.triggerSeconds} s, per month (us-east-1, arm64 Lambda)`,
    ...table(
      ['query', 'Step Functions', 'Lambda control', 'Lambda executors', 'DynamoDB', 'S3', 'total'],
      report.queries.map((q) => [
        q.query,
        usd(q.monthly.stepFunctions),
        usd(q.monthly.lambdaControl),
        usd(q.monthly.lambdaExecutors),
        usd(q.monthly.dynamoDb),
        usd(q.monthly.s3),
        usd(q.monthly.total),
      ]),
    ),
  ];
  for (const q of report.queries.filter((x) => !x.comparison.exact)) {
    lines.push('', `${q.query}: missing ${q.comparison.missing.join(' ')}`, `${q.query}: unexpected ${q.comparison.unexpected.join(' ')}`);
  }
  return lines.join('\n');
}

import type { EndToEndResult } from '../../bench/end-to-end.js';
import type { RawReadResult } from '../../bench/raw-read.js';
import type { BenchReport } from '../../bench/run-bench.js';
import type { Distribution } from '../../bench/stats.js';
import { table as alignedTable } from './table.js';

/** The report as one JSON object, fractions rounded to 3 decimals (unmeasurable figures are null). */
export function reportJson(r: BenchReport): string {
  return JSON.stringify(
    r,
    (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value),
    2,
  );
}

/** The report as aligned text, one heading per measurement. */
export function formatReport(r: BenchReport): string {
  const m = r.machine;
  const e = r.endToEnd;
  const { jobCapBefore, jobCap, demoCap } = r.rawRead;
  const eb = r.emptyBatch;
  const s10 = r.stateBytes.default;
  const s1 = r.stateBytes.snapshotEveryBatch;
  const out: string[] = [];
  out.push('Sluice benchmark (local runtime)');
  out.push(
    ...table([
      ['  machine', `node ${m.node}, ${m.platform}, ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB`],
      [
        '  load',
        `1-minute load average ${m.loadAverageAtStart.toFixed(2)} before the benchmark started${busy(r) ? ': BUSY, other work shares the CPUs and the figures below are noisier and lower' : ''}`,
      ],
      ['  note', `${r.note}`],
      [
        '  input',
        `${int(r.input.events)} events (${int(r.input.bytes)} bytes) on ${r.input.shards} shards, written in ${sec(r.input.seconds)} (${int(r.input.recordsPerSecond)} records/s)`,
      ],
      [
        '  warm-up',
        `${int(r.warmUp.events)} events through the same job on a stream of their own (${r.warmUp.batches} batches, ${sec(r.warmUp.seconds)}), not counted below`,
      ],
      ['  total', `${sec(r.totalSeconds)} for the whole benchmark${r.dataDir ? `, data kept in ${r.dataDir}` : ''}`],
    ]),
  );

  out.push('', `1. End to end: job ${e.job}, ${int(jobCap.cap)} records per shard per batch, available-now trigger, until caught up`);
  out.push(...table(endToEndRows(e)));
  const d = r.demoCapRun;
  out.push('', `   The same job at the demo's ${int(demoCap.cap)} records per shard per batch (job ${d.job}), on the same stream`);
  out.push(...table(endToEndRows(d)));

  out.push('', '2. Raw read: KinesisSourceReader from EARLIEST, shards in parallel, no WAL, decoding, state or sink');
  out.push(
    ...table(
      [
        ['  records per read', 'records', 'reads', 'GetRecords', 'seconds', 'records/s', 'engine/raw'],
        rawReadRow(jobCapBefore, "the job's cap, before the job", e.recordsPerSecond / jobCapBefore.recordsPerSecond),
        rawReadRow(jobCap, "the job's cap, after the job", e.recordsPerSecond / jobCap.recordsPerSecond),
        rawReadRow(demoCap, "the demo's cap, after its run", r.ratios.engineToRawDemoCap),
      ],
      'lr',
    ),
  );
  out.push(`  engine/raw at the job's cap, against the faster of its two raw reads: ${ratio(r.ratios.engineToRawJobCap)}`);

  out.push('', `3. Empty batch overhead: the caught-up job, interval trigger of 1 ms, ${eb.batches} triggers or batches each way`);
  out.push(
    ...table(
      [
        ['  ms per trigger or batch', 'median', 'p95', 'max'],
        ['  runDriver, skipped trigger', ...dist(eb.idleTrigger.ms)],
        ['  runDriver, forced empty batch', ...dist(eb.driverMs)],
        ['  step by step: plan', ...dist(eb.steps.plan)],
        ['                executors', ...dist(eb.steps.executors)],
        ['                commit', ...dist(eb.steps.commit)],
        ['                total', ...dist(eb.steps.total)],
      ],
      'lr',
    ),
  );
  if (eb.nonEmpty > 0) out.push(`  warning: ${eb.nonEmpty} of these batches read records`);
  const perTrigger = Object.entries(eb.idleTrigger.requestsPerTrigger);
  out.push(
    `  AWS requests per skipped trigger (nothing written): ${fixed(
      perTrigger.reduce((a, [, n]) => a + n, 0),
      1,
    )} (${perTrigger.map(([name, n]) => `${name} ${fixed(n, 1)}`).join(', ')})`,
  );
  const perBatch = Object.entries(eb.requestsPerBatch);
  const total = perBatch.reduce((a, [, n]) => a + n, 0);
  out.push(`  AWS requests per forced empty batch: ${fixed(total, 1)}`);
  out.push(
    ...table(
      perBatch.map(([name, n]) => [`    ${name}`, fixed(n, 2)]),
      'lr',
    ),
  );

  out.push(
    '',
    '4. State written to S3 per batch (BlobStateStore over a counting blob store; one state version per key group a batch changed)',
  );
  out.push(
    ...table(
      [
        ['  ', `snapshotEvery ${s10.snapshotEvery}`, `snapshotEvery ${s1.snapshotEvery}`],
        ['  batches that wrote state', int(s10.batches), int(s1.batches)],
        ['  PUTs per batch', fixed(s10.putsPerBatch, 1), fixed(s1.putsPerBatch, 1)],
        ['  bytes per batch (all key groups)', int(s10.bytesPerBatch), int(s1.bytesPerBatch)],
        ['  delta versions written (inline in the manifest)', inlineOf(s10.delta), inlineOf(s1.delta)],
        ['    avg bytes per delta (one key group)', int(s10.delta.avgObjectBytes), int(s1.delta.avgObjectBytes)],
        ['    avg state rows at a delta', fixed(s10.delta.avgRows, 1), fixed(s1.delta.avgRows, 1)],
        ['    avg ms per delta PUT', ms(s10.delta.avgPutMs), ms(s1.delta.avgPutMs)],
        ['  snapshot versions written (inline in the manifest)', inlineOf(s10.snapshot), inlineOf(s1.snapshot)],
        ['    avg bytes per snapshot (one key group)', int(s10.snapshot.avgObjectBytes), int(s1.snapshot.avgObjectBytes)],
        ['    avg state rows at a snapshot', fixed(s10.snapshot.avgRows, 1), fixed(s1.snapshot.avgRows, 1)],
        ['    avg ms per snapshot PUT', ms(s10.snapshot.avgPutMs), ms(s1.snapshot.avgPutMs)],
        ['  avg manifest bytes', int(manifestBytes(s10)), int(manifestBytes(s1))],
        ['  total bytes', int(s10.bytes), int(s1.bytes)],
        ['  engine metric stateBytesWritten', int(e.engineStateBytes), int(r.snapshotEveryBatchRun.engineStateBytes)],
        [
          '  blob GETs / LISTs / keys deleted',
          `${s10.gets} / ${s10.lists} / ${s10.deletedKeys}`,
          `${s1.gets} / ${s1.lists} / ${s1.deletedKeys}`,
        ],
        ['  end-to-end records/s of the run', int(e.recordsPerSecond), int(r.snapshotEveryBatchRun.recordsPerSecond)],
        [
          '  batch ms median / p95 (with records)',
          `${ms(e.dataBatchMs.median)} / ${ms(e.dataBatchMs.p95)}`,
          `${ms(r.snapshotEveryBatchRun.dataBatchMs.median)} / ${ms(r.snapshotEveryBatchRun.dataBatchMs.p95)}`,
        ],
      ],
      'lr',
    ),
  );
  out.push('  (the two runs ran one after the other: their records/s differ by run order and machine load too, not only by snapshots)');
  const { exchange: x, fastPath: f } = r.twoStage;
  const requestsPerBatch = (run: EndToEndResult) => Object.values(run.requests).reduce((a, b) => a + b, 0) / run.batches;
  out.push('', '5. The exchange and the fast path: views per user per window (the partition key), the same stream twice');
  out.push(
    ...table(
      [
        ['  ', `key groups (${x.job})`, `keyedBy: 'partitionKey' (${f.job})`],
        ['  records/s', int(x.recordsPerSecond), int(f.recordsPerSecond)],
        ['  batches', int(x.batches), int(f.batches)],
        ['  AWS requests per batch', fixed(requestsPerBatch(x), 1), fixed(requestsPerBatch(f), 1)],
        [
          '  batch ms median / p95 (with records)',
          `${ms(x.dataBatchMs.median)} / ${ms(x.dataBatchMs.p95)}`,
          `${ms(f.dataBatchMs.median)} / ${ms(f.dataBatchMs.p95)}`,
        ],
        ['  sink check', x.exact ? 'exact' : `FAILED (${x.problems.length})`, f.exact ? 'exact' : `FAILED (${f.problems.length})`],
      ],
      'lr',
    ),
  );
  out.push(
    `  the exchange's share of the two-stage run's time: ${fixed(r.twoStage.exchangeShare * 100, 0)} % (1 - fast path seconds / exchange seconds)`,
  );
  const c = r.engineCpu;
  out.push('', `6. The engine's CPU: job ${e.job}'s stage 1 and exchange encoding on ${int(c.records)} records of one shard, no I/O`);
  out.push(
    ...table([
      [
        '  stage 1, ms per batch of one shard',
        `median ${fixed(c.stageOneMs.median, 1)}   p95 ${fixed(c.stageOneMs.p95, 1)}   (${c.rounds} rounds)`,
      ],
      ['  per record', `${fixed(c.stageOneMicrosPerRecord, 2)} µs`],
      ['  of which UTF-8 JSON decoding, ms', `median ${fixed(c.decodeMs.median, 1)}`],
    ]),
    "  the local runtime's executors share one event loop: a batch pays this once per shard there, on AWS once per executor Lambda",
  );
  return out.join('\n');
}

/** One row of the raw read's table: a run at one records-per-read, and the engine's ratio to it. */
function rawReadRow(run: RawReadResult, which: string, engineToRaw: number): string[] {
  return [
    `  ${int(run.cap)} (${which})`,
    int(run.records),
    int(run.reads),
    int(run.requests['Kinesis.GetRecords'] ?? 0),
    fixed(run.seconds, 2),
    int(run.recordsPerSecond),
    ratio(engineToRaw),
  ];
}

function endToEndRows(e: EndToEndResult): string[][] {
  const data = e.dataBatchMs.count;
  const p = e.dataBatchPhases;
  const total = Object.values(e.requests).reduce((a, b) => a + b, 0);
  return [
    ['  records', int(e.records)],
    ['  batches', `${int(e.batches)} (${data} with records)`],
    ['  seconds', fixed(e.seconds, 1)],
    ['  records/s', int(e.recordsPerSecond)],
    ['  batch ms, all batches', `median ${ms(e.batchMs.median)}   p95 ${ms(e.batchMs.p95)}   max ${ms(e.batchMs.max)}`],
    ['  batch ms, with records', `median ${ms(e.dataBatchMs.median)}   p95 ${ms(e.dataBatchMs.p95)}   max ${ms(e.dataBatchMs.max)}`],
    [
      '  its steps, median ms',
      `plan ${ms(p.planMs.median)}   stage 1 ${ms(p.stageOneMs.median)}   stage 2 ${ms(p.stageTwoMs.median)}   commit ${ms(p.commitMs.median)}`,
    ],
    [
      '  with stage 1 of N+1 beside stage 2 and commit of N',
      `median ${ms(p.overlapBoundMs.median)} a batch (arithmetic on the steps above, not measured)`,
    ],
    ['  AWS requests', `${int(total)} (${fixed(total / e.batches, 1)} per batch; ${topRequests(e.requests)})`],
    ['  their time, median / p95 ms', requestTimes(e, 'ms')],
    ['  in flight when sent, median / max', requestTimes(e, 'inFlight')],
    [
      '  sink check',
      e.exact
        ? 'exact: every row equals the count computed from the input'
        : `FAILED: ${e.problems.length} difference(s), e.g. ${e.problems.slice(0, 3).join('; ')}`,
    ],
  ];
}

/** Load from other work above a quarter of the cores. */
/**
 * Busy: a 1-minute load average above half the cores at the start. Below that, the load is
 * mostly the tail of what ran in the minute before (a previous benchmark decays from ~2 to
 * ~0.7 in a minute on 2 cores), not work that keeps sharing the CPUs.
 */
function busy(r: BenchReport): boolean {
  return r.machine.loadAverageAtStart > r.machine.cores / 2;
}

/** For the four most frequent operations: their times, or the requests to the same service each found in flight. */
function requestTimes(e: EndToEndResult, what: 'ms' | 'inFlight'): string {
  return Object.entries(e.requests)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 4)
    .map(([name]) => {
      const d = e.requestTimes[name]?.[what];
      if (d === undefined) return `${name} -`;
      return what === 'ms' ? `${name} ${ms(d.median)} / ${ms(d.p95)}` : `${name} ${fixed(d.median, 0)} / ${int(d.max)}`;
    })
    .join(', ');
}

function topRequests(requests: Record<string, number>): string {
  return Object.entries(requests)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 4)
    .map(([name, n]) => `${name} ${int(n)}`)
    .join(', ');
}

function inlineOf(figures: BenchReport['stateBytes']['default']['delta']): string {
  return `${int(figures.versions)} (${int(figures.inline)})`;
}

function manifestBytes(s: BenchReport['stateBytes']['default']): number {
  const { delta, snapshot } = s;
  const n = delta.versions + snapshot.versions;
  const sum =
    (delta.versions ? delta.avgManifestBytes * delta.versions : 0) +
    (snapshot.versions ? snapshot.avgManifestBytes * snapshot.versions : 0);
  return n === 0 ? Number.NaN : sum / n;
}

/** The report's tables: three spaces between columns; `align` as cli/format/table.ts has it. */
function table(rows: readonly (readonly string[])[], align = 'l'): string[] {
  return alignedTable(rows, { align, gap: '   ' });
}

const dist = (d: Distribution): string[] => [ms(d.median), ms(d.p95), ms(d.max)];
const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const ms = (n: number): string => (Number.isFinite(n) ? (n >= 100 ? int(n) : n.toFixed(1)) : '-');
const sec = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} s` : '-');
const ratio = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : '-');

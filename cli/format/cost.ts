import type { CostReport } from '../../bench/cost-bench.js';
import { CONTROL_FUNCTIONS, EXECUTOR_FUNCTIONS, PRICES } from '../../bench/cost-meter.js';
import { table } from './table.js';

const usd = (n: number) => (n >= 100 ? `$${Math.round(n).toLocaleString('en-US')}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(3)}`);
const fix = (n: number, d = 1) => n.toFixed(d);

/** The cost report as aligned text. */
export function formatCostReport(r: CostReport): string {
  const out: string[] = [];
  const m = r.machine;
  out.push('Sluice cost meter: the driver on Step Functions, counted on the local runtime, priced at public us-east-1 prices');
  out.push(
    `  machine: node ${m.node}, ${m.cores} cores, load ${m.loadAverageAtStart.toFixed(2)}; Lambda durations are local stand-in durations (arm64 prices)`,
  );
  out.push(
    r.lambdaTiming === 'one-at-a-time'
      ? "  Lambda calls timed one at a time (each alone, as on Lambda; --lambdas-at-once for the driver's own concurrency)"
      : "  Lambda calls timed as the driver runs them: executors at once share one event loop, so each also holds the others' work",
  );
  out.push(
    r.sinkWrites === 'puts'
      ? "  the demo's sink rows sent as conditional puts (1 WRU a row; --sink-writes)"
      : "  the demo's sink rows sent in transactions of up to 100 (2 WRU a row; --sink-writes puts for 1)",
  );
  out.push('');
  out.push('Monthly cost of one always-on job (730 h), 4 shards; Kinesis itself (shard-hours) not included');
  const rows = [
    [
      '  trigger',
      'load',
      'batches/month',
      'Step Functions',
      'Lambda ctl',
      'Lambda exec',
      'DynamoDB',
      'S3',
      'total',
      'per 1M records',
      'naive Standard loop',
    ],
    ...r.rows.map((row) => [
      `  ${row.triggerSeconds} s`,
      row.load,
      Math.round(row.cost.batches).toLocaleString('en-US'),
      usd(row.cost.stepFunctions),
      usd(row.cost.lambdaControl),
      usd(row.cost.lambdaExecutors),
      usd(row.cost.dynamoDb),
      usd(row.cost.s3),
      usd(row.cost.total),
      row.perMillionRecords === null ? '-' : usd(row.perMillionRecords),
      usd(row.cost.naiveStandardLoop),
    ]),
  ];
  out.push(...table(rows, { align: 'lr' }));
  out.push(
    `  Lambda ctl: ${CONTROL_FUNCTIONS.join(', ')}; Lambda exec: ${EXECUTOR_FUNCTIONS.join(', ')} (a two-stage batch's route and stage 2 included).`,
    `  idle: the idle backoff stretches the wait to ${r.maxIdleIntervalMs / 1000} s (the default cap), so an idle job runs a batch a minute whatever its trigger.`,
    `  Step Functions = the Express child alive all month (${fix(PRICES.expressMemoryGb * 1024, 0)} MB, $${PRICES.expressGbSecond}/GB-s) + a child run every ${r.shape.childBudgetMs / 1000} s`,
    `  (${fix(r.shape.standardPerChildRun)} Standard transitions each) + a new generation every ${r.shape.childRunsPerGeneration} runs (${fix(r.shape.standardPerGeneration)} transitions).`,
    `  naive Standard loop: the same batches with the child's transitions (${fix(r.profiles.idle.expressTransitions)} per empty trigger) billed as Standard ones;`,
    `  the formula of aws-limits.md, B·(10+2P)·$0.000025 at 1 s, gives ${usd(r.naiveFormula1s)}.`,
  );
  out.push('');
  const pk = r.parked;
  out.push(
    `Idle, parked (the default: parkAfterIdleMs): no execution runs; the supervisor's tick every ${pk.tickSeconds / 60} minutes checks the source`,
    `  ${usd(pk.monthly.total)} a month all in (${Math.round(pk.monthly.ticks).toLocaleString('en-US')} ticks; per tick: supervisor ${fix(pk.supervisorMs, 0)} ms locally, ${fix(pk.check.rru)} RRU, ${fix(pk.check.wru)} WRU, ${fix(pk.check.awsRequests)} AWS requests)`,
    `  by component: ${Object.entries(pk.monthly.breakdown)
      .map(([k, v]) => `${k} ${usd(v)}`)
      .join(', ')}`,
    '  the idle rows above are a job that never parks (parkAfterIdleMs 0): the Express child alive all month, a batch a minute.',
  );
  out.push('');
  out.push('Where the money goes, by component ($ a month)');
  const shown = r.rows.filter((row) => row.load !== 'idle');
  const names = [...new Set(shown.flatMap((row) => Object.keys(row.cost.breakdown)))].sort(
    (a, b) => (shown.at(-2)?.cost.breakdown[b] ?? 0) - (shown.at(-2)?.cost.breakdown[a] ?? 0),
  );
  out.push(
    ...table(
      [
        ['  component', ...shown.map((row) => `${row.triggerSeconds} s, ${row.load}`)],
        ...names.map((name) => [`  ${name}`, ...shown.map((row) => usd(row.cost.breakdown[name] ?? 0))]),
        ['  total', ...shown.map((row) => usd(row.cost.total))],
      ],
      { align: 'lr' },
    ),
  );
  out.push('');
  out.push('Measured per batch (averages)');
  const p = r.profiles;
  out.push(
    ...table(
      [
        [
          '  batch',
          'records',
          'Express transitions',
          'Lambda calls (ctl+exec)',
          'Lambda GB-s (ctl+exec)',
          'AWS requests',
          'RRU',
          'WRU',
          'S3 PUT/LIST',
          'S3 GET',
        ],
        ...(
          [
            ['empty', p.idle],
            ['1,000 per shard', p.data1s],
            ['10,000 per shard', p.data10s],
          ] as const
        ).map(([name, b]) => [
          `  ${name}`,
          Math.round(b.records).toLocaleString('en-US'),
          fix(b.expressTransitions),
          `${fix(b.lambdaInvocations.control)}+${fix(b.lambdaInvocations.executors)}`,
          `${fix(b.lambdaGbSeconds.control, 3)}+${fix(b.lambdaGbSeconds.executors, 3)}`,
          fix(b.awsRequests),
          fix(b.rru),
          fix(b.wru),
          fix(b.s3Puts),
          fix(b.s3Gets),
        ]),
      ],
      { align: 'lr' },
    ),
  );
  out.push('');
  const o = r.overhead;
  out.push(
    `Trigger overhead through the state machine (a caught-up job's empty triggers back to back, each skipped: no batch; ${o.stateMachineMs.count} measured)`,
  );
  out.push(
    ...table(
      [
        ['  ms per empty trigger', 'median', 'p95', 'max'],
        [
          '  state machine (Plan, Planned?, Idle, AfterCommit, Wait of 1 ms)',
          fix(o.stateMachineMs.median, 0),
          fix(o.stateMachineMs.p95, 0),
          fix(o.stateMachineMs.max, 0),
        ],
        [
          '  runDriver (the same skipped trigger, Plan called directly)',
          fix(o.runDriverMs.median, 0),
          fix(o.runDriverMs.p95, 0),
          fix(o.runDriverMs.max, 0),
        ],
      ],
      { align: 'lr' },
    ),
  );
  out.push(`  overhead of the state machine: ${fix(o.stateMachineMs.median - o.runDriverMs.median, 0)} ms per trigger (median), locally`);
  const lambdas = Object.entries(o.perBatch.lambda)
    .filter(([, l]) => l.invocations > 0)
    .map(([fn, l]) => `${fn} ${fix(l.invocations)}× ${fix(l.ms / Math.max(l.invocations, 1), 0)} ms`);
  out.push(`  per empty trigger: ${fix(o.perBatch.expressTransitions)} Express transitions, 0 Standard; Lambda: ${lambdas.join(', ')}`);
  out.push(
    `  AWS requests: ${Object.entries(o.perBatch.requests)
      .map(([k, v]) => `${k} ${fix(v)}`)
      .join(', ')}; ${fix(o.perBatch.rru)} RRU, ${fix(o.perBatch.wru)} WRU`,
  );
  return out.join('\n');
}

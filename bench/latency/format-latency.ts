/** The latency benchmark's text report. */
import type { LatencyBenchReport } from './run-latency-bench.js';
import { defaultRecordsPerPartition } from '../../engine/job/rate-limit.js';
import { lagOf, type Percentiles } from './latency-math.js';
import type { MachineInfo } from '../machine.js';
import type { RateRunResult } from './run-at-rate.js';

export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');

/** A report's first lines: its title, the machine, its load at the start and the end, the stand-in note. */
export function headerLines(title: string, r: { machine: MachineInfo; loadAverageAtEnd: number; note: string }): string[] {
  const m = r.machine;
  return [
    title,
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`,
    `load average (1 min): ${m.loadAverageAtStart} at start, ${r.loadAverageAtEnd} at the end`,
    `note: ${r.note}`,
  ];
}
const ms = (p: Percentiles) => `p50 ${int(p.p50)} ms  p95 ${int(p.p95)} ms  p99 ${int(p.p99)} ms  max ${int(p.max)} ms  (${int(p.count)})`;

export function formatLatencyReport(r: LatencyBenchReport): string {
  const o = r.options;
  const lines = [
    ...headerLines('Sluice latency under sustained load (npm run bench:latency)', r),
    `job: running count per key over ${o.keys} keys, ${o.shards} shards, interval trigger ${o.triggerMs} ms, ` +
      `up to ${int(o.maxRecordsPerPartition ?? defaultRecordsPerPartition({ type: 'interval', intervalMs: o.triggerMs }))} records per shard per batch` +
      `${o.maxRecordsPerPartition === null ? " (the trigger's default)" : ''}; sink table polled every ${o.pollMs} ms`,
    '',
  ];
  if (r.search !== null) {
    lines.push(`step search (Karimov et al., ICDE 2018), ${o.seconds} s per rate; sustainable = lag growth ≤ 5% of the rate:`);
    for (const run of r.search.runs) {
      lines.push(
        `  ${int(run.rate).padStart(7)} records/s  lag growth ${run.verdict.growthPerS.toFixed(1).padStart(8)}/s ` +
          `(allowed ${run.verdict.allowedPerS.toFixed(1)})  batch p50 ${int(run.batchMs.p50)} ms  ` +
          `${run.verdict.sustainable ? 'sustainable' : 'NOT sustainable'}`,
      );
    }
    lines.push(
      `highest sustainable rate: ${r.search.sustainableRate === null ? 'none' : `${int(r.search.sustainableRate)} records/s`}`,
      '',
    );
  }
  lines.push(...formatRun(r.measured, r.search === null ? 'measured run' : 'measured run at half the sustainable rate'));
  lines.push(
    '',
    `goal: p99 ${int(r.goal.p99Ms)} ms vs one trigger interval + one batch (median) = ${int(o.triggerMs)} + ${int(r.measured.batchMs.p50)} = ` +
      `${int(r.goal.boundMs)} ms: ${r.goal.met ? 'within' : 'ABOVE'}`,
    `      vs one trigger interval + one batch (p99) = ${int(o.triggerMs)} + ${int(r.measured.batchMs.p99)} = ` +
      `${int(r.goal.tailBoundMs)} ms: ${r.goal.metAtTail ? 'within' : 'ABOVE'}`,
    `total ${r.totalSeconds.toFixed(1)} s`,
  );
  return lines.join('\n');
}

function formatRun(run: RateRunResult, title: string): string[] {
  const lines = [
    `${title}: ${int(run.rate)} records/s for ${run.seconds} s (${run.name})`,
    `  produced ${int(run.produced)} in ${run.producerS.toFixed(1)} s${run.producerS > run.seconds * 1.05 ? ' (behind its schedule: the stream did not take the rate)' : ''}, ` +
      `committed ${int(run.committed)}, visible in the sink ${int(run.visible)}, ${run.batches} batches`,
    `  event arrival → sink row visible: ${ms(run.latencyMs)}`,
    `  batch time (records > 0):         ${ms(run.batchMs)}`,
    `  Lambda calls while producing, p50 ms (calls): ${Object.entries(run.lambdaMs)
      .map(([fn, p]) => `${fn} ${int(p.p50)} (${p.count})`)
      .join(', ')}`,
    `  sink scan (resolution: poll + scan): ${ms(run.scanMs)}`,
    `  lag (records due on the producer's schedule − committed), every second: ${run.lag.map((s) => int(lagOf(s))).join(' ')}`,
    `  lag growth ${run.verdict.growthPerS.toFixed(1)}/s over ${run.verdict.samplesJudged} samples: ${run.verdict.sustainable ? 'sustainable' : 'NOT sustainable'}`,
  ];
  if (run.drainS !== null) lines.push(`  drained ${run.drainS.toFixed(1)} s after the producer stopped`);
  if (run.exact !== null) lines.push(`  sink check: ${run.exact ? 'every record produced is counted exactly once' : 'FAILED'}`);
  for (const p of run.problems.slice(0, 20)) lines.push(`    ${p}`);
  return lines;
}

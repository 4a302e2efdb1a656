/** The recovery benchmark's text report. */
import { headerLines, int } from '../latency/format-latency.js';
import type { RecoveryReport } from './run-recovery-bench.js';

export function formatRecoveryReport(r: RecoveryReport): string {
  const o = r.options;
  const lines = [
    ...headerLines('Sluice recovery time after kill -9 (npm run bench:recovery)', r),
    `job: views per user, one key group holding ${int(o.keys)} keys; the batch reads ${int(o.records)} records; ` +
      `kill -9 of the runtime process when the batch enters ${o.killAt}${o.killAfterMs > 0 ? ` + ${o.killAfterMs} ms` : ''}` +
      (o.warmUp ? '; the stand-ins warmed up before the restart (--warm-up)' : ''),
    '',
  ];
  r.runs.forEach((run, i) => {
    const f = run.figures;
    lines.push(
      `run ${i + 1}: killed after ${run.killedAfter.join(' → ')}`,
      `  process start → program loaded ${int(f.loadMs)} ms; stand-ins start-up ${int(f.standInsMs)} ms (reported apart)` +
        (run.resumeStarts > 1 ? `; started ${run.resumeStarts} times (stand-ins missed their start-up timeout)` : '') +
        (f.warmUpMs === null
          ? '; no warm-up: the restart meets cold stand-ins'
          : `; stand-ins warm-up ${int(f.warmUpMs)} ms (reported apart)`),
      `  driver restart → first committed batch: ${int(f.firstCommitMs)} ms (batch ${f.batchId}${f.resumed ? ', resumed' : ''}, ` +
        `${int(f.records)} records, ${int(f.stateRows)} state rows)`,
      `  Lambda time until then: ${Object.entries(f.lambdaMs)
        .map(([fn, ms]) => `${fn} ${int(ms)} ms`)
        .join(', ')}`,
      `  AWS requests until then: ${Object.entries(f.requests)
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')}`,
      `  of stage 2: state load ${int(f.phases.stateLoadMs)} ms (S3 GETs ${int(f.phases.stateGetMs)} ms for ${int(f.phases.stateGetBytes)} bytes, ` +
        `decoding ${int(f.phases.stateLoadMs - f.phases.stateGetMs)} ms), state write ${int(f.phases.stateWriteMs)} ms, ` +
        `sink writes ${int(f.phases.sinkWriteMs)} ms for ${int(f.phases.sinkRows)} rows (the two writes run at once)`,
      `  sink: ${f.exact ? 'every user counted exactly once' : `NOT exact: ${f.problems.join('; ')}`}`,
    );
  });
  lines.push(
    '',
    `driver restart → first committed batch over ${r.runs.length} run(s): p50 ${int(r.firstCommitMs.p50)} ms, max ${int(r.firstCommitMs.max)} ms; ` +
      `goal ≤ ${int(r.goalMs)} ms: ${r.firstCommitMs.max <= r.goalMs ? 'met' : 'NOT met'}`,
    `stand-ins start-up: p50 ${int(r.standInsMs.p50)} ms, max ${int(r.standInsMs.max)} ms`,
  );
  return lines.join('\n');
}

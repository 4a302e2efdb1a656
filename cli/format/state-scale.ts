import { formatBytes } from './checkpoints.js';
import { table } from './table.js';
import { EXECUTOR_MEMORY_MB } from '../../bench/defaults.js';
import type { StateScaleReport } from '../../bench/state-scale.js';

const mb = (n: number) => `${n.toFixed(0)} MB`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** The state-scale report as aligned text. */
export function formatStateScaleReport(r: StateScaleReport): string {
  const out = [
    `Sluice executor memory by partition state size: one batch of ${int(r.records)} records over a state of N keys (count per key)`,
    `  ${r.note}`,
    '',
    ...table(
      [
        ['  keys', 'batch 2 writes', 'snapshot in S3', 'RSS before', 'peak RSS', 'warm cache heap', 'batch', 'state written'],
        ...r.cases.map((c) => [
          `  ${int(c.keys)}`,
          c.snapshot ? 'snapshot' : 'delta',
          formatBytes(c.snapshotBytes),
          mb(c.baselineRssMb),
          mb(c.peakRssMb),
          mb(c.retainedHeapMb),
          `${int(c.batchMs)} ms`,
          formatBytes(c.stateBytesWritten),
        ]),
      ],
      { align: 'lr' },
    ),
    '',
    r.keysAtExecutorMemory === null
      ? `  the peak RSS does not grow with the keys here: no estimate of the keys a ${int(EXECUTOR_MEMORY_MB)} MB executor holds`
      : `  a ${int(EXECUTOR_MEMORY_MB)} MB executor reaches its memory at about ${int(r.keysAtExecutorMemory)} keys per key group when it writes a snapshot ` +
        '(a line through the two largest cases); keep partitions well below it, or give the executor more memory',
  ];
  return out.join('\n');
}

/** Text the `sluice` command prints for the jobs API's answers (engine/api/views.ts). */
import type { JobStatus, JobSummary, BatchView, DeadLetterView } from '../../engine/api/views.js';
import type { StartingPositionRequest } from '../../engine/api/requests.js';
import type { TriggerSettings } from '../../engine/ports/job-registry.js';
import { table } from './table.js';

export function formatJobList(jobs: readonly JobSummary[]): string[] {
  if (jobs.length === 0) return ['no job instances'];
  return table(
    [
      ['JOB ID', 'JOB', 'STATE', 'GENERATION', 'UPDATED', 'REASON'],
      ...jobs.map((j) => [j.jobId, j.jobName, j.state, String(j.generation), time(j.updatedAt), j.reason ?? '']),
    ],
    { align: 'lllrll' },
  );
}

export function formatJobStatus(s: JobStatus): string[] {
  const last = s.lastCommittedBatch;
  const lines = [
    `job ${s.jobId} (${s.jobName})  ${s.state}${s.reason ? `: ${s.reason}` : ''}`,
    row(
      'driver',
      s.driver.execution === null
        ? 'not started'
        : `${s.driver.execution} ${s.driver.status ?? '(status unknown)'} (generation ${s.generation}, epoch ${s.epoch ?? '-'})${
            s.parked ? `; parked (idle) since ${s.parked.since} after batch ${s.parked.batchId}: wakes when the source has data` : ''
          }`,
    ),
    row('trigger', describeTrigger(s.trigger)),
    row(
      'rate limit',
      s.maxRecordsPerPartition === null
        ? `the job's own${s.plannedRateLimit == null ? '' : `: ${count(s.plannedRateLimit)} records per partition per batch in the newest plan`}`
        : `${count(s.maxRecordsPerPartition)} records per partition per batch`,
    ),
    row(
      'started from',
      s.startedFrom ? `job ${s.startedFrom.jobId} after batch ${s.startedFrom.batchId}` : describePosition(s.startingPosition),
    ),
    row('parameters', Object.keys(s.parameters).length === 0 ? 'none' : JSON.stringify(s.parameters)),
    row(
      'last batch',
      last === null
        ? 'none committed yet'
        : `${last.batchId} committed ${time(last.committedAt ?? '-')}: ${count(last.records ?? 0)} records in ${last.durationMs ?? '-'} ms, ${count(last.outputRows ?? 0)} rows, ${count(last.deadLetters ?? 0)} dead letters, ${count(last.lateRecords ?? 0)} late`,
    ),
    ...(s.latestBatch !== null && s.latestBatch.status !== 'COMMITTED'
      ? [row('in flight', `batch ${s.latestBatch.batchId} (${s.latestBatch.status})`)]
      : []),
    row('watermark', s.watermark ?? '-'),
    row(
      'rates',
      s.rates.batches === 0
        ? '-'
        : `input ${rate(s.rates.inputRecordsPerSecond)}, processed ${rate(s.rates.processedRecordsPerSecond)} (last ${s.rates.batches} batches)`,
    ),
    row(
      'state',
      s.stateSize.rows === null
        ? '-'
        : `${count(s.stateSize.rows)} rows after the last batch (which wrote ${count(s.stateSize.bytesWritten ?? 0)} bytes of state)`,
    ),
    ...keyGroupLines(s.keyGroups),
    row('lag', s.lag.partitions.length === 0 ? '-' : `max ${s.lag.maxMs === null ? 'unknown' : `${count(s.lag.maxMs)} ms`}`),
    ...s.lag.partitions.map(
      (p) =>
        `    ${p.partition.padEnd(24)} ${p.caughtUp ? 'caught up' : 'behind   '}  lag ${p.lagMs === null ? '-' : `${count(p.lagMs)} ms`}  next ${p.next}` +
        // With key groups, partitions hold no state: the groups' versions are above.
        (s.keyGroups === null ? `  state v${p.stateVersion}` : ''),
    ),
    row('restarts', s.restarts.count === 0 ? 'none in the window' : `${s.restarts.count} in the window`),
    ...s.restarts.recent.map((r) => `    ${time(r.at)} generation ${r.generation}: ${r.reason}`),
    row(
      'last error',
      s.lastError === null
        ? 'none'
        : `${time(s.lastError.at)} generation ${s.lastError.generation}: ${s.lastError.error}: ${s.lastError.cause}`,
    ),
  ];
  return lines;
}

/** The most key groups the status lists one by one (checkpoints list has every one). */
const KEY_GROUP_LINES = 16;

/** Where the state lives when it lives in key groups: their number, then the groups holding state. */
function keyGroupLines(keyGroups: JobStatus['keyGroups']): string[] {
  if (keyGroups === null) return [];
  const { groups } = keyGroups;
  const lines = [row('key groups', `${count(keyGroups.count)}, ${count(groups.length)} holding state`)];
  for (const g of groups.slice(0, KEY_GROUP_LINES)) {
    const dueAtWatermark = g.dueAtWatermark === null ? '' : `  due at watermark ${time(g.dueAtWatermark)}`;
    const due = `${dueAtWatermark}${g.dueAt === null ? '' : `  due at ${time(g.dueAt)}`}`;
    lines.push(`    group ${String(g.group).padEnd(4)}  state v${g.stateVersion}  ${count(g.rows)} rows${due}`);
  }
  if (groups.length > KEY_GROUP_LINES)
    lines.push(`    (${count(groups.length - KEY_GROUP_LINES)} more: sluice checkpoints list has them all)`);
  return lines;
}

export function formatBatches(batches: readonly BatchView[]): string[] {
  if (batches.length === 0) return ['no batches'];
  // With key groups: the groups each batch wrote, of how many.
  const grouped = batches.some((b) => b.keyGroups !== null);
  const groups = (b: BatchView) => (b.keyGroups === null ? '-' : `${count(b.keyGroups.written.length)} of ${count(b.keyGroups.count)}`);
  return table(
    [
      ['BATCH', 'STATUS', 'RECORDS', 'MS', 'ROWS', 'DEAD', 'LATE', 'LAG MS', ...(grouped ? ['KEY GROUPS'] : []), 'WATERMARK', 'COMMITTED'],
      ...batches.map((b) => [
        String(b.batchId),
        b.status,
        b.records === null ? '-' : count(b.records),
        b.durationMs === null ? '-' : count(b.durationMs),
        b.outputRows === null ? '-' : count(b.outputRows),
        b.deadLetters === null ? '-' : count(b.deadLetters),
        b.lateRecords === null ? '-' : count(b.lateRecords),
        b.lagMs === null ? '-' : count(b.lagMs),
        ...(grouped ? [groups(b)] : []),
        b.watermark === null ? '-' : time(b.watermark),
        b.committedAt === null ? '-' : time(b.committedAt),
      ]),
    ],
    { align: grouped ? 'rlrrrrrrrll' : 'rlrrrrrrll' },
  );
}

/** The width a reason is cut to, so that a row of the table stays on one line of a wide terminal. */
const REASON_WIDTH = 80;

export function formatDeadLetters(letters: readonly DeadLetterView[]): string[] {
  if (letters.length === 0) return ['no dead letters'];
  return table(
    [
      ['PARTITION', 'OFFSET', 'BATCH', 'STAGE', 'REASON', 'RECORDED'],
      ...letters.map((l) => [l.partition, l.offset, String(l.batchId), l.stage, cut(l.reason, REASON_WIDTH), time(l.recordedAt)]),
    ],
    { align: 'llrlll' },
  );
}

export function describeTrigger(trigger: TriggerSettings | null): string {
  if (trigger === null) return "the job's own";
  if (trigger.type === 'availableNow') return 'available now (stops when caught up)';
  return `every ${count(trigger.intervalMs)} ms${trigger.maxIdleIntervalMs === undefined ? '' : `, backing off to ${count(trigger.maxIdleIntervalMs)} ms while idle`}`;
}

export function describePosition(position: StartingPositionRequest | null): string {
  if (position === null) return "the job's starting position";
  switch (position.type) {
    case 'earliest':
    case 'latest':
      return position.type;
    case 'timestamp':
      return `records from ${new Date(position.timestamp).toISOString()}`;
    case 'checkpoint':
      return `job ${position.jobId} after batch ${position.batchId ?? 'its latest'}`;
  }
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(14)}${value}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function rate(n: number | null): string {
  return n === null ? '-' : `${count(Math.round(n))} records/s`;
}

/** On one line (a stack or a multi-line message folded), at most `width` characters. */
function cut(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > width ? `${line.slice(0, width - 3)}...` : line;
}

/** An ISO time as `2026-01-31 12:00:05` (UTC). */
function time(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Text for the replay command (cli/commands/replay.ts): the dry run, the progress bar, the outcome. */
import type { JobDefinition } from '../../engine/job/types.js';
import type { SinkSpec } from '../../engine/ports/sink.js';
import { describeStart } from '../../engine/protocol/offsets.js';
import type { RegroupScope, ReplayOutcome, ReplayProgress, ReplayScope } from '../../engine/replay/replay-types.js';
import { stateVersionsAfter } from '../../engine/replay/replay-plan.js';
import { table } from './table.js';

const n = (value: number): string => value.toLocaleString('en-US');

export function describeSink(spec: SinkSpec): string {
  if (spec.type === 'kinesis')
    return `Kinesis stream ${spec.streamName} (at-least-once: records of the replayed batches are appended again)`;
  if (spec.type === 'kafka') return `Kafka topic ${spec.topic} (at-least-once: messages of the replayed batches are sent again)`;
  if (spec.type === 'user') return `user sink ${spec.name} (called again for every replayed batch)`;
  if (spec.type === 's3files') return `${spec.format} files under s3://${spec.bucket ?? '<checkpoint bucket>'}/${spec.prefix}/`;
  return spec.type === 'dynamodb' ? `DynamoDB table ${spec.tableName}` : `memory sink ${spec.name}`;
}

/** What the replay will read and write, batch by batch and partition by partition. */
export function formatReplayPreview(scope: ReplayScope, job: JobDefinition): string[] {
  const out: string[] = [];
  const { fromBatchId: from, toBatchId: to } = scope;
  const range = to > from ? `batches ${from + 1}..${to}` : 'no batches';
  const where = scope.mode === 'in-place' ? 'in place' : `into the new job ${scope.targetJobId}`;
  out.push(
    `replay of job ${scope.sourceJobId} ${where}: ${range}, from the state after batch ${from}${from === 0 ? ' (the empty state)' : ''}`,
  );
  if (scope.continuing !== null) {
    const done = scope.batches.filter((b) => b.done).map((b) => b.original.plan.batchId);
    out.push(
      `  continues:   the unfinished replay of generation ${scope.generation}${done.length > 0 ? `: batches ${spans(done)} are done` : ''}`,
    );
  }
  out.push(`  code:        ${job.name} version ${job.version} (${job.pipeline.description})`);
  const checkpoint =
    from === 0
      ? 'none: the replay starts from the empty state'
      : scope.checkpointVersion === undefined
        ? 'written before job versions were recorded: no check'
        : scope.migrateFromVersion !== undefined
          ? `written by version ${scope.checkpointVersion}: ${scope.regroup === null ? `batch ${from + 1}` : 'the regroup'} migrates it (the job's migration from version ${scope.migrateFromVersion})`
          : `written by version ${scope.checkpointVersion}: no state migration`;
  out.push(`  checkpoint:  ${checkpoint}`);
  out.push(
    `  generation:  ${scope.previousGeneration} -> ${scope.generation}` +
      (scope.mode === 'in-place' && to > from
        ? `: the rows of the replayed batches replace those of the superseded batches ${from + 1}..${scope.latestBatchId}`
        : ''),
  );
  if (scope.mode === 'in-place') {
    if (scope.latestBatchId > from) {
      out.push(
        `  WAL:         batches ${from + 1}..${scope.latestBatchId} move to the archive of generation ${scope.generation}; the replayed batches take their ids`,
      );
    }
    if (scope.latestBatchId > to) out.push(`               after batch ${to}, the job's driver plans the next batches afresh`);
  } else {
    out.push(
      `  WAL:         job ${scope.targetJobId} starts with a copy of batch ${from} of job ${scope.sourceJobId}, then the replayed batches`,
    );
  }
  out.push(`  layout:      ${describeLayout(scope)}`);
  const versions = [...stateVersionsAfter(scope.base)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, v]) => `${p} v${v}`);
  out.push(`  state:       from the versions after batch ${from}: ${versions.length > 0 ? versions.join(', ') : 'empty'}`);
  if (scope.regroup !== null) out.push(...describeRegroup(scope, scope.regroup).map((line) => `               ${line}`));
  else if (scope.mode === 'into' && versions.length > 0)
    out.push(`               copied under job ${scope.targetJobId} (same version numbers)`);
  const scopes = scope.keyGroups === undefined ? 'partitions' : 'key groups';
  if (to > from) out.push(`               each replayed batch k writes version k of the ${scopes} whose state it changes`);
  out.push(`  sink:        ${describeSink(job.sink)} (rows tagged generation ${scope.generation} and their batch)`);
  if (scope.batches.length === 0) return out;

  out.push('');
  const rows: string[][] = [['batch', 'partition', 'start', 'end', 'records', '']];
  let records = 0;
  let ranges = 0;
  for (const batch of scope.batches) {
    const { plan, commit } = batch.original;
    for (const p of plan.partitions) {
      const end = commit?.partitions[p.partition]?.end;
      const count = end?.count ?? 0;
      records += count;
      ranges += 1;
      const endText =
        p.endBefore !== undefined
          ? `before ${p.endBefore} (fixed)`
          : end?.lastOffset !== undefined
            ? `${end.lastOffset} (recorded)`
            : 'empty (recorded)';
      rows.push([String(plan.batchId), p.partition, describeStart(p.start), endText, n(count), batch.done ? 'done' : '']);
    }
  }
  out.push(...table(rows, { align: 'rlllrl' }));
  out.push('');
  out.push(`total: ${n(scope.batches.length)} batches, ${n(ranges)} ranges, ${n(records)} records`);
  return out;
}

/** Where the replayed batches keep their state, and how they run. */
function describeLayout(scope: ReplayScope): string {
  const groups = (n: number | null | undefined) => (n === null || n === undefined ? 'per source partition' : `in ${n} key groups`);
  const runs =
    scope.keyGroups === undefined
      ? 'one executor per partition'
      : 'stage 1 per partition, then stage 2 per key group with input or work due';
  if (scope.regroup === null) return `state ${groups(scope.keyGroups)} (each replayed batch runs ${runs})`;
  return `regrouped (--regroup): state ${groups(scope.regroup.fromKeyGroups)} -> ${groups(scope.regroup.keyGroups)}; each replayed batch runs ${runs}`;
}

/** What a regroup reads and writes (the state line's continuation). */
function describeRegroup(scope: ReplayScope, regroup: RegroupScope): string[] {
  const where = scope.mode === 'in-place' ? `before batch ${scope.fromBatchId + 1} is planned` : `under job ${scope.targetJobId}`;
  const written = `written as version ${scope.fromBatchId} of each key group holding some, ${where}`;
  const { read } = regroup;
  if (read === null) return [`re-sliced into ${regroup.keyGroups} key groups by the interrupted run: done`];
  const migrated = scope.migrateFromVersion === undefined ? '' : ` after the migration from version ${scope.migrateFromVersion}`;
  const merged =
    read.mergedKeys === 0
      ? 'no key is held by two scopes'
      : `${n(read.mergedKeys)} keys held by several scopes merged with the aggregate's merge`;
  return [
    `re-sliced${migrated} into ${regroup.keyGroups} key groups: ${n(read.rows)} entries in ${n(read.groups)} groups (at most ${n(read.largestGroupRows)} in one); ${merged}`,
    written,
  ];
}

/** One line: a bar, the batch, the records so far. */
export function formatReplayProgress(progress: ReplayProgress, recordsSoFar: number, width = 24): string {
  const filled = progress.total === 0 ? width : Math.round((progress.index / progress.total) * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  return `replay [${bar}] batch ${progress.index} of ${progress.total} (batch ${progress.batchId}${progress.skipped ? ', done before' : ''})  ${n(recordsSoFar)} records`;
}

export function formatReplayOutcome(outcome: ReplayOutcome): string[] {
  const { scope } = outcome;
  const out: string[] = [];
  if (scope.batches.length === 0 && scope.mode === 'in-place') {
    out.push(`nothing to replay: batch ${scope.fromBatchId} is the latest committed batch of job ${scope.sourceJobId}`);
    return out;
  }
  const range = scope.toBatchId > scope.fromBatchId ? `batches ${scope.fromBatchId + 1}..${scope.toBatchId}` : 'no batches';
  const where = scope.mode === 'in-place' ? `job ${scope.targetJobId} in place` : `job ${scope.sourceJobId} into job ${scope.targetJobId}`;
  out.push(`replayed ${where}: ${range} at generation ${scope.generation}`);
  if (scope.regroup !== null) {
    const from = scope.regroup.fromKeyGroups === null ? 'kept per source partition' : `in ${scope.regroup.fromKeyGroups} key groups`;
    out.push(`  regrouped the state after batch ${scope.fromBatchId} (${from}) into ${scope.regroup.keyGroups} key groups`);
  }
  out.push(
    `  ran ${n(outcome.replayed)} batches now (${n(outcome.records)} records, ${n(outcome.outputRows)} rows written)` +
      (outcome.replayed < scope.batches.length ? `; ${scope.batches.length - outcome.replayed} were done before` : ''),
  );
  if (outcome.overtakenAt !== null) {
    out.push(
      `  a driver took the job over at batch ${outcome.overtakenAt} during the replay: it runs the new logic from there, so the replay ends`,
    );
  }
  if (scope.mode === 'in-place') {
    if (outcome.superseded > 0 || scope.continuing !== null) {
      out.push(
        `  superseded batches are kept in the WAL's archive of generation ${scope.generation} (npm run checkpoints -- list --job ${scope.targetJobId})`,
      );
    }
    if (outcome.overtakenAt === null) out.push(`  the job can be resumed: its driver plans batch ${scope.toBatchId + 1} next`);
  } else {
    out.push(`  job ${scope.targetJobId} holds batches ${scope.fromBatchId > 0 ? scope.fromBatchId : 1}..${scope.toBatchId}`);
  }
  return out;
}

/** Sorted ids as spans: 1..3, 5, 7..8. */
export function spans(ids: readonly number[]): string {
  const out: string[] = [];
  let start: number | undefined;
  let last: number | undefined;
  for (const id of [...ids].sort((a, b) => a - b)) {
    if (last !== undefined && id === last + 1) {
      last = id;
      continue;
    }
    if (start !== undefined) out.push(start === last ? String(start) : `${start}..${last}`);
    start = id;
    last = id;
  }
  if (start !== undefined) out.push(start === last ? String(start) : `${start}..${last}`);
  return out.join(', ');
}

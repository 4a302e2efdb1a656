/** Text for the checkpoints command (cli/commands/checkpoints.ts). */
import { spans } from './replay.js';
import { table } from './table.js';
import type { CheckpointListing } from '../../engine/checkpoints/checkpoints.js';
import type { StateView } from '../../engine/checkpoints/state-view.js';

const n = (value: number): string => value.toLocaleString('en-US');
const time = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatCheckpointListing(listing: CheckpointListing): string[] {
  const out: string[] = [];
  const ids = listing.batches.map((b) => b.batchId);
  out.push(
    `job ${listing.jobId}  generation ${listing.generation}  ${n(ids.length)} batches kept${ids.length > 0 ? ` (${spans(ids)})` : ''}`,
  );

  if (listing.batches.length > 0) {
    out.push('', 'batches (write-ahead log)');
    const rows = [['batch', 'status', 'gen', 'version', 'partitions', 'key groups', 'records', 'rows', 'committed']];
    for (const b of listing.batches) {
      const version =
        b.jobVersion === null ? '-' : b.migrateFromVersion === null ? String(b.jobVersion) : `${b.migrateFromVersion}->${b.jobVersion}`;
      rows.push([
        String(b.batchId),
        b.status,
        String(b.generation),
        version,
        String(b.partitions),
        b.keyGroups === null ? '-' : String(b.keyGroups),
        b.records === null ? '-' : n(b.records),
        b.outputRows === null ? '-' : n(b.outputRows),
        time(b.committedAt),
      ]);
    }
    out.push(...table(rows, { align: 'rlrrrrrrl' }).map((l) => `  ${l}`));
  }

  if (listing.replays.length > 0) {
    out.push('', 'replays');
    for (const r of listing.replays) {
      const where = r.sourceJobId === r.jobId ? 'in place' : `from job ${r.sourceJobId}`;
      const superseded =
        r.supersededUpTo === null ? '' : `, superseded batches ${r.fromBatchId + 1}..${r.supersededUpTo} (${r.superseded} archived)`;
      const state = r.finishedAt === null ? 'UNFINISHED: run the same replay again to finish it' : `finished ${time(r.finishedAt)}`;
      const regroup =
        r.regroup === undefined
          ? ''
          : `, regrouped the state ${r.regroup.fromKeyGroups === null ? 'kept per partition' : `in ${r.regroup.fromKeyGroups} key groups`} into ${r.regroup.keyGroups} key groups`;
      out.push(
        `  generation ${r.generation}: ${where}, after batch ${r.fromBatchId} up to ${r.toBatchId}, version ${r.jobVersion}${regroup}${superseded}; started ${time(r.startedAt)}, ${state}`,
      );
    }
  }

  const inGroups = listing.keyGroups !== null || listing.groups.length > 0;
  if (inGroups) {
    const of = listing.keyGroups === null ? '' : ` of ${listing.keyGroups}`;
    out.push('', `state (per key group${of}: versions kept, oldest first)`);
    if (listing.groups.length === 0) out.push('  none');
    for (const g of listing.groups) {
      const current = g.current === null ? 'no state now' : `current v${g.current}, ${n(g.rows ?? 0)} rows`;
      const dueAtWatermark = g.dueAtWatermarkMs === null ? '' : `, due at watermark ${time(g.dueAtWatermarkMs)}`;
      const due = `${dueAtWatermark}${g.dueAtMs === null ? '' : `, due at ${time(g.dueAtMs)}`}`;
      out.push(`  ${g.scope} (group ${g.group})  ${current}${due}  ${g.versions.length} versions  ${formatBytes(g.bytes)}`);
      out.push(...versionTable(g.versions));
    }
  }
  if (!inGroups || listing.partitions.length > 0) {
    const heading = inGroups
      ? 'state per partition (of the batches before the key groups)'
      : 'state (per partition: versions kept, oldest first)';
    out.push('', heading);
    if (listing.partitions.length === 0) out.push('  none');
  }
  for (const p of listing.partitions) {
    const current =
      p.handedOverAt !== null
        ? `finished at v${p.current ?? '-'}, handed over to its children in batch ${p.handedOverAt}`
        : p.current === null && listing.keyGroups !== null
          ? 'no state now (the latest batch keeps its state in key groups)'
          : `current v${p.current ?? '-'}`;
    out.push(`  ${p.partition}  ${current}  ${p.versions.length} versions  ${formatBytes(p.bytes)}`);
    out.push(...versionTable(p.versions));
  }
  return out;
}

/** A scope's versions kept, with the batches whose state each is and that build on it (none: no lines). */
function versionTable(versions: CheckpointListing['partitions'][number]['versions']): string[] {
  if (versions.length === 0) return [];
  const rows = [['version', 'kind', 'rows', 'bytes', 'state after', 'base of']];
  for (const v of versions) {
    const note =
      v.stateAfter.length === 0 && v.baseOf.length === 0 ? 'no kept batch (superseded, or awaiting retention)' : spans(v.stateAfter);
    rows.push([String(v.version), v.kind, n(v.rows), n(v.bytes), note || '-', spans(v.baseOf) || '-']);
  }
  return table(rows, { align: 'rlrrll' }).map((l) => `    ${l}`);
}

export function formatStateView(view: StateView): string[] {
  const info = view.info === null ? 'the empty state' : `${view.info.kind}, ${formatBytes(view.info.bytes)}`;
  const scope = view.keyGroup === null ? `partition ${view.partition}` : `key group ${view.keyGroup} (${view.partition})`;
  const out = [`job ${view.jobId}  ${scope}  state version ${view.version} (${info}, ${n(view.rows)} entries)`];
  const rows = [['key', 'value'], ...view.entries.map((e) => [e.key, e.value])];
  if (view.entries.length > 0) out.push(...table(rows).map((l) => `  ${l}`));
  if (view.entries.length < view.rows) out.push(`  (${n(view.entries.length)} of ${n(view.rows)} entries shown: --limit shows more)`);
  return out;
}

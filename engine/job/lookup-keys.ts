/**
 * The keys a batch's lookup stages need, found before the pipeline runs: the executor
 * (engine/executor/resolve-lookups.ts) resolves the lookup stages one after another, and
 * for each runs the partition's records through decode and the stages before it (with
 * the values of the earlier lookups, already resolved), gathering the keys the values
 * reaching it carry. Records that fail before it contribute none, as they contribute
 * nothing to the batch. Pure, and deterministic in (records, watermark, resolved values).
 */
import type { LookupKey } from '../ports/lookup-table.js';
import type { Decoder } from './decode.js';
import type { LookupPlan, LookupStage } from './lookup.js';
import { applyStages, attempt, StageFailure } from './record-stages.js';
import type { PipelinePlan } from './stream.js';

/** The lookup plan of a pipeline, or undefined when it has no lookup stage. */
export function compileLookups(plan: PipelinePlan, decode: Decoder): LookupPlan | undefined {
  const stages = plan.stages.filter((s): s is LookupStage => s.kind === 'lookup');
  if (stages.length === 0) return undefined;
  function keysFor(args: Parameters<LookupPlan['keysFor']>[0]): LookupKey[] {
    const keys = new Map<string, LookupKey>();
    const upTo = plan.stages.slice(0, plan.stages.indexOf(args.stage) + 1);
    for (const record of args.records) {
      try {
        const decoded = attempt('decode', () => decode.fn(record));
        applyStages(decoded, upTo, { values: args.values, collect: { stage: args.stage, keys } });
      } catch (error) {
        if (!(error instanceof StageFailure)) throw error;
      }
    }
    return [...keys.values()];
  }
  return Object.freeze({ stages, keysFor });
}

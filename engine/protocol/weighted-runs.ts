/**
 * Cuts items, in their order, into contiguous runs of at most `maxWeight` (and at most
 * `maxItems` items, when given): a run is closed before an item that would take it past a
 * bound, and holds one item at least, so an item heavier than `maxWeight` gets a run of
 * its own. Deterministic in its inputs. Used for stage 2's slots of key groups, a
 * DynamoDB sink's transactions and a file sink's parts.
 */
export function weightedRuns<T>(
  items: Iterable<T>,
  weightOf: (item: T) => number,
  bounds: { readonly maxWeight: number; readonly maxItems?: number },
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let weight = 0;
  for (const item of items) {
    const w = weightOf(item);
    if (run.length > 0 && (run.length === bounds.maxItems || weight + w > bounds.maxWeight)) {
      runs.push(run);
      run = [];
      weight = 0;
    }
    run.push(item);
    weight += w;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

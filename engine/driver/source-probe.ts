import type { SourceReader } from '../ports/source-reader.js';
import type { PartitionPlan } from '../protocol/batch-records.js';
import { compareOffsets } from '../protocol/offsets.js';

/**
 * The source's side of the check (shared by parking and the skipped trigger,
 * engine/protocol/empty-trigger.ts): a reason naming the first partition holding a record
 * at or after its start in `partitions`, or null when none does.
 *   Kafka (fixRanges): the latest offsets against the starts, one ListOffsets.
 *   Kinesis, memory: one record read from each partition's start, all at once.
 */
export async function partitionWithRecords(
  source: SourceReader,
  partitions: readonly Pick<PartitionPlan, 'partition' | 'start'>[],
): Promise<string | null> {
  if (source.fixRanges !== undefined) {
    const ranges = await source.fixRanges(
      partitions.map(({ partition, start }) => ({ partition, start, maxRecords: 1 })),
      { failOnDataLoss: false },
    );
    const ready = ranges.find((r) => r.start.type !== 'AT_OFFSET' || compareOffsets(r.start.offset, r.endBefore) < 0);
    return ready === undefined ? null : `partition ${ready.partition} has records`;
  }
  // Every partition at once: an idle trigger's wall clock is one read, not one per partition.
  const reads = await Promise.all(partitions.map(({ partition, start }) => source.read({ partition, start, maxRecords: 1 })));
  const index = reads.findIndex((read) => read.records.length > 0);
  return index < 0 ? null : `partition ${partitions[index]!.partition} has records`;
}

/**
 * How the generated events are laid out on a stream's partitions: event i on partition
 * i mod P, in order. Every partition then holds the same stretch of event time, so a batch
 * that reads the same number of records from each advances them together and no value
 * falls behind the watermark (a layout by key, where a hot auction's partition lags,
 * would make values late and the results depend on batch sizes).
 */
import type { NexmarkEvent } from '../../jobs/nexmark/model.js';

export interface PartitionedEvents {
  readonly partition: number;
  readonly events: NexmarkEvent[];
}

export function byPartition(events: readonly NexmarkEvent[], partitions: number): PartitionedEvents[] {
  const out = Array.from({ length: partitions }, (_, partition) => ({ partition, events: [] as NexmarkEvent[] }));
  for (const [i, e] of events.entries()) out[i % partitions]!.events.push(e);
  return out;
}

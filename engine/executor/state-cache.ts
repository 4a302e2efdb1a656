import type { JsonValue } from '../json.js';

/**
 * A warm executor keeps the state it last built, keyed by (job, partition, version), so
 * the next batch of the same partition skips the S3 reads. Only an exact version match
 * is served; on a miss the executor loads from the state store. One version per
 * partition is kept: the newest written.
 */
export class StateCache {
  private readonly entries = new Map<string, { version: number; state: ReadonlyMap<string, JsonValue> }>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxPartitions = 256) {}

  get(jobId: string, partition: string, version: number): ReadonlyMap<string, JsonValue> | undefined {
    const entry = this.entries.get(slot(jobId, partition));
    if (entry !== undefined && entry.version === version) {
      this.hits += 1;
      return entry.state;
    }
    this.misses += 1;
    return undefined;
  }

  set(jobId: string, partition: string, version: number, state: ReadonlyMap<string, JsonValue>): void {
    const key = slot(jobId, partition);
    this.entries.delete(key);
    if (this.entries.size >= this.maxPartitions) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { version, state });
  }

  clear(): void {
    this.entries.clear();
  }
}

function slot(jobId: string, partition: string): string {
  return `${jobId}\u0000${partition}`;
}

/**
 * The memory adapter of JobTargets (engine/ports/job-targets.ts), over the memory ports'
 * streams and lookup tables: a source stream or topic is present once created, a lookup
 * table once put or created. Sinks of every kind are created on their first write in
 * memory, so a table, stream, topic or bucket a job writes is always present here.
 */
import type { JobTarget, JobTargets, TargetPresence } from '../../ports/job-targets.js';
import type { MemoryLookupTables } from './memory-lookup-tables.js';
import type { MemorySource } from './memory-source.js';

export interface MemoryJobTargetsOptions {
  /** The streams of kinesis and memory sources. */
  readonly streams: MemorySource;
  /** The topics of kafka sources. */
  readonly topics: MemorySource;
  readonly lookups: MemoryLookupTables;
  /** The engine's own tables by name, with what it keeps in each (none by default). */
  readonly engineTables?: Readonly<Record<string, string>>;
}

export class MemoryJobTargets implements JobTargets {
  constructor(private readonly options: MemoryJobTargetsOptions) {}

  async presence(target: JobTarget): Promise<TargetPresence> {
    const exists = (yes: boolean): TargetPresence => (yes ? 'present' : 'missing');
    if (target.role === 'source') {
      return exists((target.type === 'kafka-topic' ? this.options.topics : this.options.streams).hasStream(target.name));
    }
    if (target.role === 'lookup') return exists(this.options.lookups.has(target.name));
    return 'present';
  }

  engineUse(target: JobTarget): string | null {
    const tables = this.options.engineTables ?? {};
    return target.type === 'dynamodb-table' && Object.hasOwn(tables, target.name) ? tables[target.name]! : null;
  }
}

import { NotFoundError } from '../../errors.js';
import type { JsonObject } from '../../json.js';
import { lookupKeyId, type LookupKey, type LookupTable, type LookupTableSpec } from '../../ports/lookup-table.js';

/**
 * Lookup tables in memory, by table name, whose items a test sets and changes between
 * batches (harness.ports.lookups.put('customers', [...])). An item is found by the
 * attribute the reading spec names as its key, compared strictly (42 is not "42"), as
 * DynamoDB does; of several items with the same key, the one put last is the table's.
 * A table nobody put (or created) is missing: reading it fails with NotFoundError, as on
 * DynamoDB. `reads` counts the distinct keys each read asked for, for tests of the
 * read-once rule.
 */
export class MemoryLookupTables {
  private readonly tables = new Map<string, JsonObject[]>();
  /** Keys read so far, all tables. */
  reads = 0;

  /** Puts items into `table` (creating it); an item replaces the items put before with the same key. */
  put(table: string, items: readonly JsonObject[]): void {
    const stored = this.tables.get(table) ?? [];
    for (const item of items) stored.push(structuredClone(item));
    this.tables.set(table, stored);
  }

  /** Removes the items of `table` whose attribute `key` is `value`. */
  delete(table: string, key: string, value: LookupKey): void {
    const stored = this.tables.get(table);
    if (stored !== undefined)
      this.tables.set(
        table,
        stored.filter((item) => item[key] !== value),
      );
  }

  /** Creates an empty table (one that exists and has no items). */
  create(table: string): void {
    if (!this.tables.has(table)) this.tables.set(table, []);
  }

  /** Whether the table was put or created. */
  has(table: string): boolean {
    return this.tables.has(table);
  }

  /** The reader of a spec's table. */
  table(spec: LookupTableSpec): LookupTable {
    return {
      getMany: async (keys) => {
        const stored = this.tables.get(spec.tableName);
        if (stored === undefined) {
          throw new NotFoundError(`lookup table ${spec.tableName} does not exist`, { context: { table: spec.tableName } });
        }
        const byKey = new Map<string, JsonObject>();
        for (const item of stored) {
          const key = item[spec.key];
          if (typeof key === 'string' || typeof key === 'number') byKey.set(lookupKeyId(key), item);
        }
        this.reads += new Set(keys.map(lookupKeyId)).size;
        return keys.map((key) => {
          const item = byKey.get(lookupKeyId(key));
          if (item === undefined) return null;
          const { attributes } = spec;
          const projected =
            attributes === undefined
              ? item
              : Object.fromEntries(Object.entries(item).filter(([name]) => name === spec.key || attributes.includes(name)));
          return structuredClone(projected);
        });
      },
    };
  }
}

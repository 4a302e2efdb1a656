import type { JsonObject } from '../json.js';

/**
 * A table a pipeline's lookup stage reads items from by key (Stream.lookup,
 * engine/job/lookup.ts): a DynamoDB table on AWS, a table set by the test in memory.
 * Reads only: the engine never writes a lookup table.
 */

/** A value of the table's partition key: a string or a finite number (DynamoDB S or N). */
export type LookupKey = string | number;

export interface LookupTableSpec {
  readonly type: 'dynamodb';
  readonly tableName: string;
  /** The table's partition key attribute (the table has no sort key). */
  readonly key: string;
  /** Read only these attributes of an item (a ProjectionExpression); absent: the whole item. */
  readonly attributes?: readonly string[];
  /** Strongly consistent reads (twice the read cost); default false: eventually consistent. */
  readonly consistentRead?: boolean;
}

export interface LookupTable {
  /**
   * The item of each key, in the order of `keys` (null where the table has none); a key
   * given twice is read once and answered twice. Items are JSON (DynamoDB sets become
   * sorted arrays, binary values base64 strings). A table that does not exist fails with
   * NotFoundError naming it (not retryable); throttling with TransientError (retryable).
   */
  getMany(keys: readonly LookupKey[]): Promise<(JsonObject | null)[]>;
}

export type LookupTableFactory = (spec: LookupTableSpec) => LookupTable;

/**
 * A key as text, distinct for 42 and "42" (a table's key has one type, and a number
 * never matches a string item). The key of the maps lookup values travel in.
 */
export function lookupKeyId(key: LookupKey): string {
  return JSON.stringify(key);
}

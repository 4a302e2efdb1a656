/**
 * The lookup join (Stream.lookup): each value enriched with an item of a table, read by
 * key. The stage itself is pure: the executor resolves the keys a batch needs before the
 * pipeline runs (engine/executor/resolve-lookups.ts, which keeps them in the batch's
 * lookup record, engine/protocol/lookup-record.ts) and hands the values in; this file
 * only applies them.
 *
 * Semantics, per value:
 *   - key(value) must be a string or a finite number, else the record fails at stage
 *     'lookup' (a dead letter), as keyBy's key does at 'keyBy';
 *   - the item of that key is the one the batch's lookup record holds: read once, on the
 *     batch's first run, and the same on every retry and replay. (Spark's stream-static
 *     join and Flink's lookup join read the table when the record passes, so a re-run
 *     after the table changed may join differently; here it never does.)
 *   - join 'inner' drops a value whose key has no item; 'left' keeps it and select
 *     receives undefined (Flink's LEFT JOIN ... FOR SYSTEM_TIME AS OF, Spark's left outer
 *     stream-static join);
 *   - select(value, item) is the value the stage passes on; when it throws (or returns a
 *     Promise: it runs after the read), the record fails at stage 'lookup'. It receives a
 *     copy of the item: changing it changes nothing else.
 */
import { describeError, InvariantError } from '../errors.js';
import type { JsonObject } from '../json.js';
import type { SourceRecord } from '../ports/source-reader.js';
import { lookupKeyId, type LookupKey, type LookupTableSpec } from '../ports/lookup-table.js';
import { cloneJson } from './json-values.js';
import { requireFunction, requireObject, show, specError } from './spec-checks.js';

/** A table declared for lookups: `dynamoDbTable({ tableName: 'customers', key: 'customerId' })`. */
export type LookupTableRef = LookupTableSpec;

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const TABLE_FIELDS = ['type', 'tableName', 'key', 'attributes', 'consistentRead'];

/**
 * A DynamoDB table to look items up in, by its partition key `key` (a table with a sort
 * key cannot be read by one key). `attributes`: read only these (and the key); default
 * the whole item. `consistentRead`: strongly consistent reads, at twice the read cost.
 */
export function dynamoDbTable(options: {
  readonly tableName: string;
  readonly key: string;
  readonly attributes?: readonly string[];
  readonly consistentRead?: boolean;
}): LookupTableRef {
  return checkLookupTable(options, 'dynamoDbTable()');
}

export function checkLookupTable(value: unknown, field: string): LookupTableRef {
  const spec = requireObject(field, value);
  for (const key of Object.keys(spec)) {
    if (!TABLE_FIELDS.includes(key)) throw specError(`${field}.${key}`, `is not a lookup table field (${TABLE_FIELDS.join(', ')})`);
  }
  if (spec.type !== undefined && spec.type !== 'dynamodb') throw specError(`${field}.type`, `must be 'dynamodb', got ${show(spec.type)}`);
  const { tableName, key, attributes, consistentRead } = spec;
  if (typeof tableName !== 'string' || !TABLE_NAME.test(tableName)) {
    throw specError(`${field}.tableName`, `must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -), got ${show(tableName)}`);
  }
  if (typeof key !== 'string' || key === '')
    throw specError(`${field}.key`, `must be the table's partition key attribute, got ${show(key)}`);
  if (attributes !== undefined && (!Array.isArray(attributes) || attributes.some((a) => typeof a !== 'string' || a === ''))) {
    throw specError(`${field}.attributes`, `must be an array of attribute names, got ${show(attributes)}`);
  }
  if (consistentRead !== undefined && typeof consistentRead !== 'boolean') {
    throw specError(`${field}.consistentRead`, `must be a boolean, got ${show(consistentRead)}`);
  }
  return Object.freeze({
    type: 'dynamodb' as const,
    tableName,
    key,
    ...(attributes === undefined ? {} : { attributes: Object.freeze([...(attributes as string[])]) }),
    ...(consistentRead === undefined ? {} : { consistentRead }),
  });
}

export type LookupJoin = 'inner' | 'left';

/** Stream.lookup's options. */
export type LookupOptions<T, U> =
  | {
      readonly key: (value: T) => string | number;
      readonly join: 'inner';
      readonly select: (value: T, item: JsonObject) => U;
    }
  | {
      readonly key: (value: T) => string | number;
      readonly join: 'left';
      readonly select: (value: T, item: JsonObject | undefined) => U;
    };

/** The stage a lookup() adds to a pipeline (engine/job/stream.ts). */
export interface LookupStage {
  readonly kind: 'lookup';
  readonly table: LookupTableRef;
  readonly key: (value: unknown) => unknown;
  readonly join: LookupJoin;
  readonly select: (value: unknown, item: JsonObject | undefined) => unknown;
}

const OPTION_FIELDS = ['key', 'join', 'select'];

/** Validates lookup()'s arguments into its stage; JobSpecErrors name the field. */
export function lookupStage(table: unknown, options: unknown): LookupStage {
  const checked = checkLookupTable(table, 'lookup() table');
  const fields = requireObject('lookup() options', options);
  for (const key of Object.keys(fields)) {
    if (!OPTION_FIELDS.includes(key)) throw specError(`lookup().${key}`, `is not a lookup option (${OPTION_FIELDS.join(', ')})`);
  }
  const key = requireFunction('lookup().key', fields.key) as LookupStage['key'];
  if (fields.join !== 'inner' && fields.join !== 'left')
    throw specError('lookup().join', `must be 'inner' or 'left', got ${show(fields.join)}`);
  const select = requireFunction('lookup().select', fields.select) as LookupStage['select'];
  return Object.freeze({ kind: 'lookup', table: checked, key, join: fields.join, select });
}

/** The values a batch's lookups resolved to: per table name, per key id (lookupKeyId), the item or null. */
export type LookupValues = ReadonlyMap<string, ReadonlyMap<string, JsonObject | null>>;

/**
 * What applyStages gets for the lookup stages: the resolved values, and while the
 * executor gathers a stage's keys (`collect`), that stage and where its keys go: values
 * stop there, their keys gathered.
 */
export interface LookupContext {
  readonly values: LookupValues;
  readonly collect?: { readonly stage: LookupStage; readonly keys: Map<string, LookupKey> };
}

/** The values a lookup stage passes on for one value, or why its record fails. */
export type LookupResult = { readonly values: readonly unknown[] } | { readonly failure: string };

const NONE: LookupResult = Object.freeze({ values: [] });

/** The key of a value at a lookup stage, or why it has none. */
function keyOf(stage: LookupStage, value: unknown): { key: LookupKey } | { failure: string } {
  let key: unknown;
  try {
    key = stage.key(value);
  } catch (error) {
    return { failure: describeError(error) };
  }
  if (typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))) return { key };
  return { failure: `the lookup key must be a string or a finite number, got ${show(key)}` };
}

/** One value through a lookup stage (see the semantics at the top of this file). */
export function applyLookup(stage: LookupStage, value: unknown, context: LookupContext | undefined): LookupResult {
  const found = keyOf(stage, value);
  if ('failure' in found) return found;
  if (context?.collect?.stage === stage) {
    context.collect.keys.set(lookupKeyId(found.key), found.key);
    return NONE;
  }
  const item = context?.values.get(stage.table.tableName)?.get(lookupKeyId(found.key));
  if (item === undefined) {
    // Not a bad record: the batch's lookups were resolved for other keys than the pipeline asks.
    throw new InvariantError(
      `lookup table ${stage.table.tableName}: key ${show(found.key)} was not resolved before the pipeline ran ` +
        '(a key function that is not deterministic?)',
      { context: { table: stage.table.tableName } },
    );
  }
  if (item === null && stage.join === 'inner') return NONE;
  let selected: unknown;
  try {
    selected = stage.select(value, item === null ? undefined : (cloneJson(item) as JsonObject));
  } catch (error) {
    return { failure: describeError(error) };
  }
  if (isThenable(selected)) {
    return { failure: 'select() returned a Promise: the item is already read when select runs, so select must be synchronous' };
  }
  return { values: [selected] };
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A pipeline's lookup stages, for the executor's pre-phase (built by lookup-keys.ts). */
export interface LookupPlan {
  /** The lookup stages in pipeline order. */
  readonly stages: readonly LookupStage[];
  /** The distinct keys the values reaching `stage` carry, in order of first appearance. */
  keysFor(args: { readonly records: readonly SourceRecord[]; readonly values: LookupValues; readonly stage: LookupStage }): LookupKey[];
}

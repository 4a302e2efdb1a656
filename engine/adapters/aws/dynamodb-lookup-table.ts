/**
 * A lookup table on DynamoDB (engine/ports/lookup-table.ts): BatchGetItem, at most 100
 * keys a call (DynamoDB's limit), the keys DynamoDB leaves unprocessed (throughput, the
 * 16 MB response limit) sent again with exponential backoff until none is left.
 * Eventually consistent unless the spec asks for consistent reads; only the attributes
 * the spec names when it names some (a ProjectionExpression). Throttling is a
 * TransientError (the executor's retry runs the batch again); a table that does not
 * exist is a NotFoundError naming it (a deployment that forgot the table: no retry helps).
 */
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError, TransientError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../json.js';
import { lookupKeyId, type LookupKey, type LookupTable, type LookupTableSpec } from '../../ports/lookup-table.js';
import { backoffDelayMs } from '../../retry.js';
import { isNotFound, isThrottling } from './aws-errors.js';

/** BatchGetItem takes at most 100 keys. */
export const BATCH_GET_MAX_KEYS = 100;
/** Rounds of UnprocessedKeys before giving up with a TransientError. */
const UNPROCESSED_ROUNDS = 8;

export interface DynamoDbLookupTableOptions {
  readonly client: DynamoDBDocumentClient;
  readonly spec: LookupTableSpec;
  readonly sleep: (ms: number) => Promise<void>;
}

export class DynamoDbLookupTable implements LookupTable {
  constructor(private readonly options: DynamoDbLookupTableOptions) {}

  async getMany(keys: readonly LookupKey[]): Promise<(JsonObject | null)[]> {
    const distinct = [...new Map(keys.map((k) => [lookupKeyId(k), k])).values()];
    const found = new Map<string, JsonObject>();
    for (let i = 0; i < distinct.length; i += BATCH_GET_MAX_KEYS) {
      for (const item of await this.getChunk(distinct.slice(i, i + BATCH_GET_MAX_KEYS))) {
        found.set(lookupKeyId(item[this.options.spec.key] as LookupKey), item);
      }
    }
    return keys.map((k) => found.get(lookupKeyId(k)) ?? null);
  }

  private async getChunk(keys: readonly LookupKey[]): Promise<JsonObject[]> {
    const { spec, client } = this.options;
    const attributes = spec.attributes === undefined ? undefined : [...new Set([spec.key, ...spec.attributes])];
    const projection =
      attributes === undefined
        ? {}
        : {
            ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', '),
            ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name])),
          };
    let pending: Record<string, unknown>[] = keys.map((k) => ({ [spec.key]: k }));
    const items: JsonObject[] = [];
    for (let round = 1; pending.length > 0; round += 1) {
      if (round > UNPROCESSED_ROUNDS) {
        throw new TransientError(
          `lookup table ${spec.tableName}: ${pending.length} keys still unprocessed after ${UNPROCESSED_ROUNDS} BatchGetItem rounds`,
          { context: { table: spec.tableName } },
        );
      }
      if (round > 1) await this.options.sleep(backoffDelayMs(round - 1, { baseDelayMs: 50, maxDelayMs: 2000 }));
      let response: BatchGetCommandOutput;
      try {
        response = await client.send(
          new BatchGetCommand({
            RequestItems: { [spec.tableName]: { Keys: pending, ConsistentRead: spec.consistentRead ?? false, ...projection } },
          }),
        );
      } catch (error) {
        throw classify(error, spec.tableName);
      }
      for (const item of response.Responses?.[spec.tableName] ?? []) items.push(toJsonItem(item));
      pending = response.UnprocessedKeys?.[spec.tableName]?.Keys ?? [];
    }
    return items;
  }
}

function classify(error: unknown, table: string): unknown {
  if (isNotFound(error)) {
    return new NotFoundError(
      `lookup table ${table} does not exist (or this function may not read it): create it, or fix lookup()'s tableName`,
      {
        cause: error,
        context: { table },
      },
    );
  }
  if (isThrottling(error)) {
    return new TransientError(`lookup table ${table} is throttling reads`, { cause: error, context: { table } });
  }
  return error;
}

/** An item as the document client returns it, as JSON: sets become sorted arrays, binary values base64 strings. */
function toJsonItem(item: Record<string, unknown>): JsonObject {
  return toJsonValue(item) as JsonObject;
}

function toJsonValue(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Set) {
    const items = [...value].map(toJsonValue);
    return items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return String(value);
}

/**
 * The write capacity a DynamoDB write consumes, computed from what it writes, for the
 * writes DynamoDB Local does not report as DynamoDB bills them (bench/request-counter.ts):
 *   - TransactWriteItems: DynamoDB Local reports 2 units for any transaction, whatever its
 *     items; DynamoDB bills 2 WRU per KB (rounded up) of each item written.
 *   - A conditional write whose condition fails: DynamoDB Local reports nothing (the call
 *     throws); DynamoDB bills the write anyway, at least 1 WRU.
 *
 * An item's size follows DynamoDB's rules ("Item sizes and formats" in the DynamoDB
 * developer guide): the UTF-8 length of each attribute name plus its value's size. A
 * string is its UTF-8 length, a number about one byte per two significant digits plus
 * one, a binary its length, a boolean or null 1 byte, a list or map 3 bytes plus 1 per
 * element plus the elements (and, in a map, their names). The values are the document
 * client's plain JavaScript values (the counter sees commands before marshalling).
 */

const KB = 1024;

/** The size in bytes of one attribute value. */
export function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value).replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    return 3 + Object.entries(value).reduce((sum, [name, v]) => sum + 1 + Buffer.byteLength(name) + valueSize(v), 0);
  }
  return 1;
}

/** The size in bytes of an item: its attributes' names and values. */
export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

/** Write units for an item of this many bytes: one per KB, rounded up, at least one. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB));
}

/** One item of a TransactWriteItems: its table and the WRU it is billed (twice a plain write). */
export interface TransactionItemUnits {
  readonly tableName: string | undefined;
  readonly input: Record<string, unknown>;
  readonly wru: number;
}

/**
 * A transaction's items and what each is billed. A Put is billed on the item it writes. An
 * Update on the key and the values it sets: a lower bound, since DynamoDB bills the whole
 * item after the update and the item's other attributes are not in the request. A Delete
 * or a ConditionCheck at the minimum, 1 KB: also a lower bound for larger items.
 */
export function transactionUnits(input: Record<string, unknown>): TransactionItemUnits[] {
  const items = (input.TransactItems ?? []) as Record<string, Record<string, unknown> | undefined>[];
  return items.map((item) => {
    const [action, request] = Object.entries(item).find(([, r]) => r !== undefined) ?? ['', {}];
    const r = request ?? {};
    const bytes =
      action === 'Put'
        ? itemSize((r.Item ?? {}) as Record<string, unknown>)
        : action === 'Update'
          ? itemSize({ ...((r.Key ?? {}) as Record<string, unknown>), ...((r.ExpressionAttributeValues ?? {}) as Record<string, unknown>) })
          : 0;
    return { tableName: r.TableName as string | undefined, input: r, wru: 2 * writeUnits(bytes) };
  });
}

/**
 * What a write whose condition failed is billed: DynamoDB bills the existing item's size,
 * at least 1 WRU; the request does not carry it, so a put's own item stands in for it
 * (a row replacing an older version of itself), and any other write counts the minimum.
 */
export function failedWriteUnits(operation: string, input: Record<string, unknown>): number {
  return operation === 'PutItem' ? writeUnits(itemSize((input.Item ?? {}) as Record<string, unknown>)) : 1;
}

import type { AwsClients } from '../engine/adapters/aws/index.js';
import { failedWriteUnits, transactionUnits } from './dynamodb-item-size.js';
import { distribution, now, type Distribution } from './stats.js';

/** DynamoDB operations that read (RRU) and those that write (WRU). */
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** What a component (a DynamoDB table, the registry in the WAL table, an S3 purpose) used. */
export interface ComponentUsage {
  readonly rru: number;
  readonly wru: number;
  /** S3 PUT, COPY, POST and LIST requests. */
  readonly puts: number;
  readonly gets: number;
}

const USAGE_FIELDS = ['rru', 'wru', 'puts', 'gets'] as const;

/** How long an operation's requests took, and how many requests to the same service each found in flight when sent. */
export interface RequestTimes {
  readonly ms: Distribution;
  /** Requests to the same service already in flight when each was sent (0: it went alone). */
  readonly inFlight: Distribution;
}

/** The key of a snapshot that says how many requests had been timed. */
const TIMED = 'timed';

/** The S3 purposes, by key prefix (engine/state/blob-state-store.ts, protocol/exchange-format.ts, protocol/lookup-record.ts). */
const S3_PURPOSES: readonly (readonly [string, string])[] = [
  ['jobs/', 'state and checkpoints'],
  ['exchange/', 'exchange'],
  ['lookups/', 'lookup records'],
];

/** The DynamoDB component a request is for: its table, and the job registry apart (partition '#job-registry' of the WAL table). */
function dynamoDbComponent(input: Record<string, unknown>, table: string | undefined): string {
  const pk =
    (input.Key as { pk?: unknown } | undefined)?.pk ??
    (input.Item as { pk?: unknown } | undefined)?.pk ??
    (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':pk'];
  const registry = typeof pk === 'string' && pk.startsWith('#job-registry');
  return `DynamoDB ${table ?? 'other'}${registry ? ' (job registry)' : ''}`;
}

function s3Component(input: Record<string, unknown>): string {
  const key = String(input.Key ?? input.Prefix ?? (input.Delete as { Objects?: { Key?: string }[] } | undefined)?.Objects?.[0]?.Key ?? '');
  return `S3 ${S3_PURPOSES.find(([prefix]) => key.startsWith(prefix))?.[1] ?? 'other'}`;
}

/**
 * AWS SDK requests sent per service and operation, counted by a middleware on each client,
 * and the DynamoDB capacity they consumed: what DynamoDB Local reports (each data
 * operation asks for ReturnConsumedCapacity), except where it does not report what
 * DynamoDB bills (bench/dynamodb-item-size.ts): a TransactWriteItems is counted from its
 * items, 2 WRU per KB of each, and a write whose condition failed at the size it would
 * have written.
 */
export class RequestCounter {
  private readonly counts = new Map<string, number>();
  /** Consumed capacity: 'DynamoDB.RRU' and 'DynamoDB.WRU'. */
  private readonly capacity = new Map<string, number>();
  /** Per component: 'usage:<component>:<field>'. */
  private readonly usage = new Map<string, number>();
  /** Every request's operation, duration (failed ones too) and the service's requests in flight when it was sent. */
  private readonly timed: { name: string; ms: number; inFlight: number }[] = [];
  private readonly inFlight = new Map<string, number>();

  /** Adds the counting middleware to the clients (call once per set of clients). */
  attach(clients: AwsClients): void {
    const options = { step: 'initialize', name: 'sluiceBenchRequestCounter' } as const;
    clients.dynamodb.middlewareStack.add(this.middleware('DynamoDB'), options);
    clients.kinesis.middlewareStack.add(this.middleware('Kinesis'), options);
    clients.s3.middlewareStack.add(this.middleware('S3'), options);
  }

  private middleware(service: string) {
    return <A, R>(next: (args: A) => Promise<R>, context: { commandName?: string }) =>
      async (args: A): Promise<R> => {
        const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        const name = `${service}.${operation}`;
        this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
        const inFlight = this.inFlight.get(service) ?? 0;
        this.inFlight.set(service, inFlight + 1);
        const sent = now();
        try {
          return await this.count(service, operation, args, next);
        } finally {
          this.inFlight.set(service, (this.inFlight.get(service) ?? 1) - 1);
          this.timed.push({ name, ms: now() - sent, inFlight });
        }
      };
  }

  /** Counts one request's capacity and S3 usage around `next`. */
  private async count<A, R>(service: string, operation: string, args: A, next: (args: A) => Promise<R>): Promise<R> {
    const input = (args as { input?: Record<string, unknown> }).input ?? {};
    if (service === 'S3' && operation !== 'DeleteObjects' && operation !== 'DeleteObject') {
      this.add(s3Component(input), operation === 'GetObject' ? 'gets' : 'puts', 1);
    }
    const kind = service !== 'DynamoDB' ? null : READS.has(operation) ? 'DynamoDB.RRU' : WRITES.has(operation) ? 'DynamoDB.WRU' : null;
    if (kind === null) return next(args);
    (args as { input: Record<string, unknown> }).input.ReturnConsumedCapacity ??= 'TOTAL';
    const charge = (table: string | undefined, itemInput: Record<string, unknown>, n: number) => {
      this.add(dynamoDbComponent(itemInput, table), kind === 'DynamoDB.RRU' ? 'rru' : 'wru', n);
      this.capacity.set(kind, (this.capacity.get(kind) ?? 0) + n);
    };
    let result: R;
    try {
      result = await next(args);
    } catch (error) {
      // A write whose condition failed is billed too; DynamoDB Local reports nothing for it.
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        charge(input.TableName as string | undefined, input, failedWriteUnits(operation, input));
      }
      throw error;
    }
    if (operation === 'TransactWriteItems') {
      // DynamoDB Local reports a flat 2 units for any transaction: count its items instead.
      for (const item of transactionUnits(input)) charge(item.tableName, item.input, item.wru);
      return result;
    }
    const consumed = (result as { output?: { ConsumedCapacity?: unknown } }).output?.ConsumedCapacity;
    for (const c of [consumed].flat() as ({ CapacityUnits?: number; TableName?: string } | undefined)[]) {
      charge(c?.TableName ?? (input.TableName as string | undefined), input, c?.CapacityUnits ?? 0);
    }
    return result;
  }

  private add(component: string, field: keyof ComponentUsage, n: number): void {
    const key = `usage:${component}:${field}`;
    this.usage.set(key, (this.usage.get(key) ?? 0) + n);
  }

  snapshot(): Map<string, number> {
    return new Map([
      ...this.counts,
      ...[...this.capacity].map(([k, v]) => [`capacity:${k}`, v] as const),
      ...this.usage,
      [TIMED, this.timed.length],
    ]);
  }

  /** The requests sent since `before` (a snapshot) that have ended, timed per operation, sorted by name. */
  timesSince(before: ReadonlyMap<string, number>): Record<string, RequestTimes> {
    const byName = new Map<string, { ms: number[]; inFlight: number[] }>();
    for (const t of this.timed.slice(before.get(TIMED) ?? 0)) {
      const entry = byName.get(t.name) ?? { ms: [], inFlight: [] };
      entry.ms.push(t.ms);
      entry.inFlight.push(t.inFlight);
      byName.set(t.name, entry);
    }
    return Object.fromEntries(
      [...byName]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, t]) => [name, { ms: distribution(t.ms), inFlight: distribution(t.inFlight) }]),
    );
  }

  /** What each component used since `before` (a snapshot): DynamoDB capacity per table, S3 requests per purpose. */
  usageSince(before: ReadonlyMap<string, number>): Record<string, ComponentUsage> {
    const out: Record<string, Record<keyof ComponentUsage, number>> = {};
    for (const [key, n] of this.usage) {
      const at = key.lastIndexOf(':');
      const component = key.slice('usage:'.length, at);
      const field = key.slice(at + 1) as keyof ComponentUsage;
      const delta = n - (before.get(key) ?? 0);
      if (delta === 0) continue;
      out[component] ??= Object.fromEntries(USAGE_FIELDS.map((f) => [f, 0])) as Record<keyof ComponentUsage, number>;
      out[component][field] += delta;
    }
    return out;
  }

  /** Requests per operation since `before` (a snapshot), sorted by name. */
  since(before: ReadonlyMap<string, number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, n] of [...this.counts].sort(([a], [b]) => a.localeCompare(b))) {
      const delta = n - (before.get(name) ?? 0);
      if (delta > 0) out[name] = delta;
    }
    return out;
  }

  /** DynamoDB read and write capacity units consumed since `before` (a snapshot). */
  capacitySince(before: ReadonlyMap<string, number>): { rru: number; wru: number } {
    const delta = (kind: string) => (this.capacity.get(kind) ?? 0) - (before.get(`capacity:${kind}`) ?? 0);
    return { rru: delta('DynamoDB.RRU'), wru: delta('DynamoDB.WRU') };
  }
}

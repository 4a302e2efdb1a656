import type { AwsClients } from '../engine/adapters/aws/index.js';

/** DynamoDB operations that read (RRU) and those that write (WRU). */
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/**
 * AWS SDK requests sent per service and operation, counted by a middleware on each client,
 * and the DynamoDB capacity they consumed (each data operation asks for
 * ReturnConsumedCapacity). DynamoDB Local reports a transaction's items at the plain rate;
 * DynamoDB charges transactions double, so transactional units are doubled here.
 */
export class RequestCounter {
  private readonly counts = new Map<string, number>();
  /** Consumed capacity: 'DynamoDB.RRU' and 'DynamoDB.WRU'. */
  private readonly capacity = new Map<string, number>();

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
        const kind = service !== 'DynamoDB' ? null : READS.has(operation) ? 'DynamoDB.RRU' : WRITES.has(operation) ? 'DynamoDB.WRU' : null;
        if (kind === null) return next(args);
        (args as { input: Record<string, unknown> }).input.ReturnConsumedCapacity ??= 'TOTAL';
        const result = await next(args);
        const consumed = (result as { output?: { ConsumedCapacity?: unknown } }).output?.ConsumedCapacity;
        const units = [consumed]
          .flat()
          .reduce((sum: number, c) => sum + ((c as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0), 0);
        const factor = operation.startsWith('Transact') ? 2 : 1;
        this.capacity.set(kind, (this.capacity.get(kind) ?? 0) + units * factor);
        return result;
      };
  }

  snapshot(): Map<string, number> {
    return new Map([...this.counts, ...[...this.capacity].map(([k, v]) => [`capacity:${k}`, v] as const)]);
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

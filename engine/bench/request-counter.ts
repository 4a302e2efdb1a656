import type { AwsClients } from '../adapters/aws/index.js';

/** AWS SDK requests sent per service and operation, counted by a middleware on each client. */
export class RequestCounter {
  private readonly counts = new Map<string, number>();

  /** Adds the counting middleware to the clients (call once per set of clients). */
  attach(clients: AwsClients): void {
    const options = { step: 'initialize', name: 'sluiceBenchRequestCounter' } as const;
    clients.dynamodb.middlewareStack.add(this.middleware('DynamoDB'), options);
    clients.kinesis.middlewareStack.add(this.middleware('Kinesis'), options);
    clients.s3.middlewareStack.add(this.middleware('S3'), options);
  }

  private middleware(service: string) {
    return <A, R>(next: (args: A) => Promise<R>, context: { commandName?: string }) =>
      (args: A): Promise<R> => {
        const name = `${service}.${String(context.commandName ?? 'unknown').replace(/Command$/, '')}`;
        this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
        return next(args);
      };
  }

  snapshot(): Map<string, number> {
    return new Map(this.counts);
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
}

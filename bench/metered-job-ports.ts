/**
 * What a bench that meters jobs run through the state machines needs of its environment
 * (`npm run cost`, `npm run bench:nexmark`): ports with counted clients, the job registry
 * on them, a registry on the runtime's own uncounted clients for the bench's polls (they
 * are not the job's cost), and a cost meter over the counted requests.
 */
import { DynamoDbJobRegistry } from '../engine/adapters/aws/dynamodb-job-registry.js';
import type { AwsPorts } from '../engine/adapters/deployed-ports.js';
import { LOCAL_RESOURCES } from '../local/runtime.js';
import { CostMeter } from './cost-meter.js';
import type { BenchEnvironment } from './environment.js';

export interface MeteredJobPorts {
  readonly ports: AwsPorts;
  readonly registry: DynamoDbJobRegistry;
  /** For the bench's own polls for a job's end: through uncounted clients. */
  readonly watcher: DynamoDbJobRegistry;
  readonly meter: CostMeter;
}

export function meteredJobPorts(env: BenchEnvironment): MeteredJobPorts {
  const { ports } = env.countingPorts();
  return {
    ports,
    registry: new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: LOCAL_RESOURCES.walTable }),
    watcher: new DynamoDbJobRegistry({ client: env.runtime.ports.clients.dynamodb, tableName: LOCAL_RESOURCES.walTable }),
    meter: new CostMeter(env.requests),
  };
}

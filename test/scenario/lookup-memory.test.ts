import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { describeLookupScenarios } from './lookup.scenario.js';

describeLookupScenarios('memory adapters', async () => {
  const ports = createMemoryPorts();
  ports.source.createStream('orders', ['shard-0', 'shard-1']);
  const encoder = new TextEncoder();
  let tables = 0;
  return {
    ports,
    streamName: 'orders',
    tableName: 'customers',
    async append(partition, orders) {
      ports.source.append(
        'orders',
        `shard-${partition}`,
        orders.map((o) => ({ key: o.id, data: encoder.encode(JSON.stringify(o)) })),
      );
    },
    async setTiers(tier) {
      ports.lookups.put(
        'customers',
        ['c0', 'c1', 'c2', 'c3'].map((customerId) => ({ customerId, tier })),
      );
    },
    async sinkTable() {
      tables += 1;
      return `out-${tables}`;
    },
    reads: () => ports.lookups.reads,
  };
});

import type { ExchangeStore } from '../../engine/ports/exchange-store.js';
import type { ScenarioWorld } from './scenario.js';

export interface TrackedExchange {
  /** The world, its exchange store recording what it is asked to keep and delete. */
  readonly world: ScenarioWorld;
  /** Keys of the exchange objects written and not deleted since, sorted. */
  stored(): string[];
  /** Keys of the exchange objects ever written for a batch, sorted. */
  writtenFor(batchId: number): string[];
}

/**
 * Follows a world's exchange objects (stage 1's outputs that went through the exchange
 * store), so a test can tell what a run leaves behind. A key's batch is its last but one
 * part (exchangeObjectKey: `…/<batch>/<partition>`).
 */
export function trackExchange(world: ScenarioWorld): TrackedExchange {
  const inner = world.ports.exchange;
  const stored = new Set<string>();
  const written = new Set<string>();
  const exchange: ExchangeStore = {
    keyOf: (args) => inner.keyOf(args),
    readSlice: (key, start, end) => inner.readSlice(key, start, end),
    async put(key, body) {
      await inner.put(key, body);
      stored.add(key);
      written.add(key);
    },
    async delete(keys) {
      await inner.delete(keys);
      for (const key of keys) stored.delete(key);
    },
  };
  return {
    world: { ...world, ports: { ...world.ports, exchange } },
    stored: () => [...stored].sort(),
    writtenFor: (batchId) => [...written].filter((key) => Number(key.split('/').at(-2)) === batchId).sort(),
  };
}

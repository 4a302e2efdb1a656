/**
 * The rules of engine/ports/lookup-table.ts, checked against any adapter: a world gives
 * fresh tables holding the items asked for, keyed by a string or a number attribute.
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../engine/errors.js';
import type { JsonObject } from '../../engine/json.js';
import type { LookupTable, LookupTableSpec } from '../../engine/ports/lookup-table.js';

export interface LookupTableWorld {
  /** A new table named by the returned spec, its key `key` of type `keyType`, holding `items`. */
  table(args: { key: string; keyType: 'S' | 'N'; items: readonly JsonObject[]; attributes?: readonly string[] }): Promise<LookupTableSpec>;
  reader(spec: LookupTableSpec): LookupTable;
}

export function describeLookupTableContract(name: string, makeWorld: () => Promise<LookupTableWorld> | LookupTableWorld): void {
  describe(`LookupTable contract: ${name}`, () => {
    const customers = Array.from({ length: 5 }, (_, i) => ({
      customerId: `c${i}`,
      tier: i % 2 === 0 ? 'gold' : 'silver',
      since: 2020 + i,
    }));

    it('answers hits with their items and misses with null, in the order of the keys', async () => {
      const world = await makeWorld();
      const spec = await world.table({ key: 'customerId', keyType: 'S', items: customers });
      expect(await world.reader(spec).getMany(['c3', 'nobody', 'c0'])).toEqual([customers[3], null, customers[0]]);
      expect(await world.reader(spec).getMany([])).toEqual([]);
    });

    it('answers a key given twice twice', async () => {
      const world = await makeWorld();
      const spec = await world.table({ key: 'customerId', keyType: 'S', items: customers });
      expect(await world.reader(spec).getMany(['c1', 'c1', 'x', 'x'])).toEqual([customers[1], customers[1], null, null]);
    });

    it('reads more than 100 keys (BatchGetItem takes 100 a call)', async () => {
      const world = await makeWorld();
      const items = Array.from({ length: 230 }, (_, i) => ({ id: `k${String(i).padStart(3, '0')}`, n: i }));
      const spec = await world.table({ key: 'id', keyType: 'S', items });
      const keys = [...items.map((item) => item.id).reverse(), 'missing-1', 'missing-2'];
      const found = await world.reader(spec).getMany(keys);
      expect(found).toEqual([...[...items].reverse(), null, null]);
    });

    it('reads a table keyed by a number: 42 finds its item, "42" does not', async () => {
      const world = await makeWorld();
      const spec = await world.table({ key: 'regionId', keyType: 'N', items: [{ regionId: 42, name: 'eu', shares: [1.5, 2] }] });
      const reader = world.reader(spec);
      expect(await reader.getMany([42, 7])).toEqual([{ regionId: 42, name: 'eu', shares: [1.5, 2] }, null]);
    });

    it('reads only the attributes a spec names, with the key', async () => {
      const world = await makeWorld();
      const spec = await world.table({ key: 'customerId', keyType: 'S', items: customers, attributes: ['tier'] });
      expect(await world.reader(spec).getMany(['c2'])).toEqual([{ customerId: 'c2', tier: 'gold' }]);
    });

    it('fails with a NotFoundError naming a table that does not exist', async () => {
      const world = await makeWorld();
      const spec: LookupTableSpec = { type: 'dynamodb', tableName: `no-such-table-${Date.now()}`, key: 'id' };
      const read = world.reader(spec).getMany(['a']);
      await expect(read).rejects.toBeInstanceOf(NotFoundError);
      await expect(world.reader(spec).getMany(['a'])).rejects.toThrow(spec.tableName);
    });
  });
}

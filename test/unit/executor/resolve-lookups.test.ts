/**
 * The executor's lookup pre-phase (engine/executor/resolve-lookups.ts) and its record
 * (engine/protocol/lookup-record.ts): read once, recorded before the batch's outputs,
 * reused by every later run; a record that lacks a key the pipeline needs fails the batch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { applyRetention } from '../../../engine/driver/commit-batch.js';
import { InvariantError } from '../../../engine/errors.js';
import { resolveLookups } from '../../../engine/executor/resolve-lookups.js';
import { TrackedState } from '../../../engine/executor/tracked-state.js';
import { dynamoDbTable } from '../../../engine/job/index.js';
import type { BatchPlan } from '../../../engine/protocol/batch-records.js';
import type { JsonObject } from '../../../engine/json.js';
import { decodeLookupRecord, encodeLookupRecord, type LookupRecord } from '../../../engine/protocol/lookup-record.js';
import { job, recs } from '../job/harness.js';

const customers = dynamoDbTable({ tableName: 'customers', key: 'customerId' });
const enrich = job({
  pipeline: (events) =>
    events.lookup(customers, { key: (o: { c: string }) => o.c, join: 'left', select: (o, c) => ({ ...o, tier: c?.tier ?? 'none' }) }),
});
const plan = (batchId: number, generation = 0) => ({ jobId: 'j', batchId, generation, watermarkMs: null }) as unknown as BatchPlan;

describe('resolveLookups', () => {
  it('reads each key once on the first run, records hits and misses, and a later run reads nothing', async () => {
    const ports = createMemoryPorts();
    ports.lookups.put('customers', [{ customerId: 'c1', tier: 'gold' }]);
    const records = recs([{ c: 'c1' }, { c: 'c2' }, { c: 'c1' }]);
    const first = await resolveLookups({ job: enrich, plan: plan(1), partition: 'p0', records, ports });
    expect(ports.lookups.reads).toBe(2);
    expect(await ports.lookupRecords.get({ jobId: 'j', batchId: 1, generation: 0, partition: 'p0' })).toEqual(
      new Map([
        [
          'customers',
          new Map([
            ['"c1"', { customerId: 'c1', tier: 'gold' }],
            ['"c2"', null],
          ]),
        ],
      ]),
    );

    ports.lookups.put('customers', [
      { customerId: 'c1', tier: 'silver' },
      { customerId: 'c2', tier: 'gold' },
    ]);
    const again = await resolveLookups({ job: enrich, plan: plan(1), partition: 'p0', records, ports });
    expect(again).toEqual(first);
    expect(ports.lookups.reads).toBe(2);
  });

  it('fails the batch with an InvariantError when its record lacks a key the pipeline needs', async () => {
    const ports = createMemoryPorts();
    ports.lookups.put('customers', []);
    await resolveLookups({ job: enrich, plan: plan(1), partition: 'p0', records: recs([{ c: 'c1' }]), ports });
    const run = resolveLookups({ job: enrich, plan: plan(1), partition: 'p0', records: recs([{ c: 'c1' }, { c: 'c5' }]), ports });
    await expect(run).rejects.toBeInstanceOf(InvariantError);
    await expect(resolveLookups({ job: enrich, plan: plan(1), partition: 'p0', records: recs([{ c: 'c5' }]), ports })).rejects.toThrow(
      /its lookup record holds no item for 1 key\(s\) of table customers .*first: "c5"/,
    );
  });

  it('writes no record when no value reached a lookup, and none for a job without lookups; reads nothing', async () => {
    const ports = createMemoryPorts();
    let gets = 0;
    const records = ports.lookupRecords;
    const counted = { ...ports, lookupRecords: { ...records, get: (address: never) => (gets++, records.get(address)) } };
    ports.lookups.put('customers', []);
    await resolveLookups({ job: enrich, plan: plan(1), partition: 'p0', records: recs(['not json{']), ports: counted });
    await resolveLookups({ job: enrich, plan: plan(2), partition: 'p0', records: [], ports: counted });
    const plain = job({ pipeline: (events) => events.map((v) => v) });
    expect(
      await resolveLookups({ job: plain, plan: plan(3), partition: 'p0', records: recs([{ c: 'c1' }]), ports: counted }),
    ).toBeUndefined();
    expect(await ports.blobs.list('lookups/')).toEqual([]);
    expect(gets).toBe(0);
    expect(ports.lookups.reads).toBe(0);
  });

  it('a missing table fails with a NotFoundError naming it, and nothing is recorded', async () => {
    const ports = createMemoryPorts();
    await expect(resolveLookups({ job: enrich, plan: plan(1), partition: 'p0', records: recs([{ c: 'c1' }]), ports })).rejects.toThrow(
      /lookup table customers does not exist/,
    );
    expect(await ports.blobs.list('lookups/')).toEqual([]);
  });

  it('retention deletes the records of the batch whose WAL record it lets go, every generation and partition', async () => {
    const ports = createMemoryPorts();
    const kept = job({ ...{ pipeline: enrichPipeline }, checkpoint: { retainBatches: 2 } });
    for (const [batchId, generation, partition] of [
      [3, 0, 'p0'],
      [3, 1, 'p1'],
      [4, 0, 'p0'],
    ] as const) {
      await ports.lookupRecords.put({ jobId: 'j', batchId, generation, partition }, new Map([['customers', new Map([['"a"', null]])]]));
    }
    // Batch 5 committed with 2 batches kept: batches below 4 go (the plan of batch 4 is read to check).
    await ports.wal.acquireEpoch('j');
    const record = { plan: { ...plan(4), partitions: [], finished: {} } } as never;
    const wal = { ...ports.wal, getBatch: async () => record, deleteBatchesBelow: async () => 0 };
    await applyRetention('j', 5, { ports: { ...ports, wal }, job: kept } as never);
    expect(await ports.blobs.list('lookups/')).toEqual(['lookups/j/4/g0/p0']);
  });
});

function enrichPipeline(events: Parameters<Parameters<typeof job>[0]['pipeline']>[0]) {
  return events.lookup(customers, { key: (o: { c: string }) => o.c, join: 'inner', select: (o) => o });
}

describe('lookup record format', () => {
  it('is sorted, so the bytes depend only on what was read, and reads back as written', () => {
    const a: LookupRecord = new Map<string, Map<string, JsonObject | null>>([
      [
        't2',
        new Map([
          ['"b"', null],
          ['"a"', { x: 1 }],
        ]),
      ],
      ['t1', new Map([['1', { n: 1 }]])],
    ]);
    const b: LookupRecord = new Map<string, Map<string, JsonObject | null>>([
      ['t1', new Map([['1', { n: 1 }]])],
      [
        't2',
        new Map([
          ['"a"', { x: 1 }],
          ['"b"', null],
        ]),
      ],
    ]);
    expect(Buffer.from(encodeLookupRecord(a)).toString()).toBe(Buffer.from(encodeLookupRecord(b)).toString());
    expect(decodeLookupRecord(encodeLookupRecord(a), 'k')).toEqual(b);
    expect(() => decodeLookupRecord(Buffer.from('{"format":9}'), 'k')).toThrow(InvariantError);
  });
});

describe('resolveLookups: a property', () => {
  const customerId = fc.oneof(fc.constantFrom('c1', 'c2', 'c3', 'c4'), fc.constantFrom(1, 2), fc.constant(null));
  const table = fc.array(fc.record({ customerId: fc.constantFrom('c1', 'c2', 'c3', 1), tier: fc.constantFrom('gold', 'silver') }), {
    maxLength: 6,
  });

  it('a retry after any change of the table gives the first run outcome, which is the join with the table as it was', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(customerId, { maxLength: 20 }), table, table, async (ids, before, after) => {
        const ports = createMemoryPorts();
        ports.lookups.put('customers', before);
        const records = recs(ids.map((c) => ({ c })));
        const runOnce = async () => {
          const lookups = await resolveLookups({ job: enrich, plan: plan(1), partition: 'shard-0', records, ports });
          const state = new TrackedState(new Map());
          return enrich.pipeline.run({
            records,
            state,
            watermarkMs: null,
            timeMs: 0,
            batchId: 1,
            partition: 'shard-0',
            ...(lookups ? { lookups } : {}),
          });
        };
        const first = await runOnce();
        ports.lookups.delete('customers', 'customerId', 'c1');
        ports.lookups.put('customers', after);
        expect(await runOnce()).toEqual(first);

        // The reference: the last item put for each key, before the change.
        const tiers = new Map(before.map((item) => [JSON.stringify(item.customerId), item.tier]));
        const expected = ids.flatMap((c, i) => (c === null ? [] : [[`shard-0:${i + 1}:0`, tiers.get(JSON.stringify(c)) ?? 'none']]));
        expect(Object.fromEntries(first.rows.map((r) => [r.key, r.value.tier]))).toEqual(Object.fromEntries(expected));
        expect(first.failures.length).toBe(ids.filter((c) => c === null).length);
      }),
      { numRuns: 100 },
    );
  });
});

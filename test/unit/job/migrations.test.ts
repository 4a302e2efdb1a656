/** State migrations in defineJob (engine/job/define-job.ts), and how the executor applies them. */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { JobSpecError } from '../../../engine/errors.js';
import { count, defineJob, memorySink, memorySource, type JobSpec } from '../../../engine/job/index.js';
import type { StateMigration } from '../../../engine/job/types.js';

function spec(version: number, migrations?: unknown, extra: Partial<JobSpec> = {}): JobSpec {
  return {
    ...extra,
    name: 'counts',
    version,
    source: memorySource({ streamName: 'in' }),
    pipeline: (events: any) => events.keyBy((e: any) => e.k).aggregate(version === 1 ? count() : { n: count() }),
    sink: memorySink({ name: 'out' }),
    trigger: { type: 'availableNow' },
    ...(migrations === undefined ? {} : { migrations: migrations as StateMigration[] }),
  };
}

function errorOf(version: number, migrations: unknown): string {
  try {
    defineJob(spec(version, migrations));
  } catch (error) {
    expect(error).toBeInstanceOf(JobSpecError);
    return (error as Error).message;
  }
  throw new Error('defineJob did not throw');
}

const toNamed: StateMigration = { fromVersion: 1, state: (key, value) => ({ key, value: { n: value } }) };

describe('defineJob migrations', () => {
  it('defaults to none and keeps the ones given, frozen', () => {
    expect(defineJob(spec(1)).migrations).toEqual([]);
    const job = defineJob(spec(3, [toNamed, { fromVersion: 2, state: () => null }]));
    expect(job.migrations.map((m) => m.fromVersion)).toEqual([1, 2]);
    expect(Object.isFrozen(job.migrations)).toBe(true);
  });

  it('names what is wrong with a migration', () => {
    expect(errorOf(2, {})).toBe('job counts: migrations must be an array, got {}');
    expect(errorOf(2, [{ fromVersion: 0, state: () => null }])).toBe(
      'job counts: migrations[0].fromVersion must be a positive integer, got 0',
    );
    expect(errorOf(2, [{ fromVersion: 2, state: () => null }])).toBe(
      "job counts: migrations[0].fromVersion must differ from the job's own version 2",
    );
    expect(errorOf(3, [toNamed, { ...toNamed }])).toBe(
      'job counts: migrations[1].fromVersion repeats version 1: one migration per version',
    );
    expect(errorOf(2, [{ fromVersion: 1 }])).toBe('job counts: migrations[0].state must be a function, got undefined');
    expect(errorOf(2, [{ fromVersion: 1, state: () => null, to: 2 }])).toBe(
      'job counts: migrations[0].to is not a migration field (fromVersion, state)',
    );
  });
});

// The records' partition keys are their keys, so the one-stage layout (state per
// partition, keyedBy: 'partitionKey') and the default (key groups) both apply.
const perPartition: Partial<JobSpec> = { keyedBy: 'partitionKey' };

describe('the executor applies a migration', () => {
  async function ranVersionOne(extra: Partial<JobSpec> = perPartition) {
    const ports = createMemoryPorts();
    ports.source.createStream('in', ['p']);
    const add = (keys: string[]) =>
      ports.source.append(
        'in',
        'p',
        keys.map((k) => ({ key: k, data: new TextEncoder().encode(JSON.stringify({ k })) })),
      );
    add(['a', 'b', 'a']);
    await runDriver(defineJob(spec(1, undefined, extra)), ports, { jobId: 'counts' });
    return { ports, add };
  }

  it('to the base state of the first batch under the new version, even one with no records', async () => {
    const { ports } = await ranVersionOne();
    await runDriver(defineJob(spec(2, [toNamed], perPartition)), ports, { jobId: 'counts' });
    const latest = (await ports.wal.getLatestBatch('counts'))!;
    expect(latest.plan).toMatchObject({ jobVersion: 2, migrateFromVersion: 1 });
    // The batch read nothing, but its state version holds the migrated state.
    expect(latest.commit!.partitions.p!.stateVersion).toBe(latest.plan.batchId);
    expect(Object.fromEntries(await ports.state.load('counts', 'p', latest.plan.batchId))).toEqual({
      '["a"]': { n: 2 },
      '["b"]': { n: 1 },
    });
  });

  it('drops entries the migration returns null for, and fails the batch when it throws or merges two keys', async () => {
    const { ports, add } = await ranVersionOne();
    const dropB: StateMigration = { fromVersion: 1, state: (key, value) => (key === '["b"]' ? null : { key, value: { n: value } }) };
    const throws: StateMigration = {
      fromVersion: 1,
      state: () => {
        throw new Error('boom');
      },
    };
    const merges: StateMigration = { fromVersion: 1, state: (_key, value) => ({ key: '["a"]', value }) };
    await expect(runDriver(defineJob(spec(2, [throws], perPartition)), ports, { jobId: 'counts', executorAttempts: 1 })).rejects.toThrow(
      'the state migration from version 1 threw for key ["a"]: Error: boom',
    );
    await expect(runDriver(defineJob(spec(2, [merges], perPartition)), ports, { jobId: 'counts', executorAttempts: 1 })).rejects.toThrow(
      'the state migration from version 1 maps two entries to key ["a"]',
    );
    // The failed batch is still planned: it is finished with a migration that works, deterministically.
    add(['b']);
    await runDriver(defineJob(spec(2, [dropB], perPartition)), ports, { jobId: 'counts' });
    expect((await ports.sink({ type: 'memory', name: 'out' }).scan()).map((r) => [r.key, r.value])).toEqual([
      ['a', { key: 'a', value: 2 }],
      ['b', { key: 'b', n: 1 }],
    ]);
  });

  it('in key groups: to every group with state, even with no records; a key moved to another group fails the batch', async () => {
    const { ports } = await ranVersionOne({ keyGroups: 8 });
    const before = (await ports.wal.getLatestBatch('counts'))!.commit!.groups!;
    expect(Object.keys(before)).toHaveLength(2); // 'a' and 'b' hash to two of the 8 groups
    const merges: StateMigration = { fromVersion: 1, state: (_key, value) => ({ key: '["a"]', value }) };
    await expect(
      runDriver(defineJob(spec(2, [merges], { keyGroups: 8 })), ports, { jobId: 'counts', executorAttempts: 1 }),
    ).rejects.toThrow(
      /the state migration from version 1 gives key \["a"\], which belongs to key group \d, but its entry is in key group \d/,
    );
    // The failed batch is still planned: a migration that works finishes it.
    await runDriver(defineJob(spec(2, [toNamed], { keyGroups: 8 })), ports, { jobId: 'counts' });
    const latest = (await ports.wal.getBatch('counts', 2))!;
    expect(latest.plan).toMatchObject({ jobVersion: 2, migrateFromVersion: 1 });
    const groups = latest.commit!.groups!;
    expect(Object.keys(groups)).toEqual(Object.keys(before));
    const states = await Promise.all(
      Object.entries(groups).map(([g, state]) => ports.state.load('counts', `keygroup-000${g}`, state.version)),
    );
    expect(Object.values(groups).map((g) => g.version)).toEqual([latest.plan.batchId, latest.plan.batchId]);
    expect(Object.fromEntries(states.flatMap((state) => [...state]))).toEqual({ '["a"]': { n: 2 }, '["b"]': { n: 1 } });
  });
});

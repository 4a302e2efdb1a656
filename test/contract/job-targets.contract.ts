/**
 * The rules of engine/ports/job-targets.ts, checked against any adapter: a world creates
 * source streams and tables, and names the engine's own tables its JobTargets refuse.
 */
import { describe, expect, it } from 'vitest';
import type { JobTargets } from '../../engine/ports/job-targets.js';

export interface JobTargetsWorld {
  readonly targets: JobTargets;
  /** A new source stream (Kinesis or memory): its name. */
  createStream(): Promise<string>;
  /** A new table a job may read by key or write (DynamoDB, or a memory lookup table): its name. */
  createTable(): Promise<string>;
  /** A name no stream or table has. */
  unusedName(): string;
  /** The engine's own tables in this world: the WAL (and registry) table and the dead-letter table. */
  readonly engineTables: { readonly walTable: string; readonly deadLetterTable: string };
}

export function describeJobTargetsContract(name: string, makeWorld: () => Promise<JobTargetsWorld> | JobTargetsWorld): void {
  describe(`JobTargets contract: ${name}`, () => {
    it('finds a source stream that exists, and one that does not missing', async () => {
      const world = await makeWorld();
      const stream = await world.createStream();
      expect(await world.targets.presence({ type: 'kinesis-stream', name: stream, role: 'source' })).toBe('present');
      expect(await world.targets.presence({ type: 'kinesis-stream', name: world.unusedName(), role: 'source' })).toBe('missing');
    });

    it('finds a table that exists, as a sink and as a lookup table, and a lookup table that does not missing', async () => {
      const world = await makeWorld();
      const table = await world.createTable();
      expect(await world.targets.presence({ type: 'dynamodb-table', name: table, role: 'sink' })).toBe('present');
      expect(await world.targets.presence({ type: 'dynamodb-table', name: table, role: 'lookup' })).toBe('present');
      expect(await world.targets.presence({ type: 'dynamodb-table', name: world.unusedName(), role: 'lookup' })).toBe('missing');
    });

    it('names what the engine keeps in its own tables, and nothing for any other table or a stream of the same name', async () => {
      const world = await makeWorld();
      const { walTable, deadLetterTable } = world.engineTables;
      expect(world.targets.engineUse({ type: 'dynamodb-table', name: walTable, role: 'sink' })).toMatch(/write-ahead log/);
      expect(world.targets.engineUse({ type: 'dynamodb-table', name: deadLetterTable, role: 'lookup' })).toMatch(/dead letters/);
      expect(world.targets.engineUse({ type: 'dynamodb-table', name: await world.createTable(), role: 'sink' })).toBeNull();
      expect(world.targets.engineUse({ type: 'kinesis-stream', name: walTable, role: 'source' })).toBeNull();
    });
  });
}

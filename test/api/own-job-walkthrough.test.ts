/**
 * docs/own-job.md followed end to end, as a user on a clone of the repository: scaffold
 * the job, put the page's code in place, run its harness test, then, beside the local
 * jobs API, start it, produce the page's orders, read its status, results and dead
 * letters, stop it, list its checkpoints, replay it (dry run, then in place) and resume
 * it. Every command is a line of the page's sh blocks, taken in the page's order and run
 * as written from the clone's directory (`npx sluice` is the clone's bin/sluice.js), so a
 * changed or broken step fails here.
 *
 * `npm run api` is the one stand-in: the clone's own API runs in this process on the test
 * stand-ins, with the local job preparer, and writes the clone's `.sluice/endpoints.json`
 * as `npm run api` does (with its own WAL table, dead-letter table and bucket). The page's
 * names are kept: no other test uses the stream `orders` or the table `order-totals`, and
 * the start's check below fails if one ever does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalApi } from '../../local/api-runtime.js';
import { type LocalApiModules, startLocalApiOnStandIns } from '../support/local-api.js';
import { REPO, run, scratchClone, type Run } from '../support/scratch-project.js';

const page = readFileSync(join(REPO, 'docs', 'own-job.md'), 'utf8');
const fixture = (name: string) => readFileSync(join(REPO, 'test', 'unit', 'docs', 'own-job', name), 'utf8');

/** The page's fenced blocks of a language ('' for none), in order. */
function blocks(lang: string): string[] {
  return [...page.matchAll(/^```([a-z]*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === lang).map((m) => m[2]!);
}

/** The commands of the page's sh blocks, in order, without their comments. */
const pageCommands = blocks('sh')
  .flatMap((block) => block.split('\n'))
  .map((line) => line.replace(/(^|\s+)#.*$/, '').trim())
  .filter((line) => line.startsWith('npx '));

// The commands find the API and the stand-ins in the clone's .sluice/, as on a user's machine.
delete process.env.SLUICE_ENDPOINT;
delete process.env.SLUICE_DATA_DIR;

const clone = scratchClone('own-job-walk');
const dataDir = join(clone.dir, '.sluice');
let api: LocalApi | undefined;
let next = 0;

/**
 * Runs `command`, which must be the page's next command from where the last one was
 * found, from the clone's directory as the page writes it.
 */
async function step(command: string): Promise<Run> {
  const at = pageCommands.indexOf(command, next);
  expect(at, `docs/own-job.md has no command "${command}" after "${pageCommands[next - 1]}"`).toBeGreaterThanOrEqual(0);
  next = at + 1;
  const [npx, tool, ...args] = command.split(/ +/);
  expect(npx).toBe('npx');
  if (tool === 'sluice') return run('node', [join(clone.dir, 'bin', 'sluice.js'), ...args], { cwd: clone.dir });
  return run(tool!, args, { cwd: clone.dir });
}

interface Row {
  readonly key: string;
  readonly batchId: number;
  readonly generation: number;
  readonly value: { key: string; windowStart: number; windowEnd: number; total: number; orders: number };
}

/** What the API answers to a GET (to watch what the steps did without a command's start-up time). */
async function read<T>(path: string): Promise<T> {
  const response = await fetch(`${api!.url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

const results = async () => (await read<{ rows: Row[] }>('/jobs/order-totals/results?limit=100')).rows;
const state = async () => (await read<{ state: string }>('/jobs/order-totals')).state;

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const since = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - since > ms) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The rows docs/own-job.md states for its four orders, by row key. */
const noon = Date.UTC(2026, 0, 1, 12, 0);
const expectedRows = {
  [`c-1#${noon}`]: { key: 'c-1', windowStart: noon, windowEnd: noon + 60_000, total: 35.5, orders: 2 },
  [`c-2#${noon}`]: { key: 'c-2', windowStart: noon, windowEnd: noon + 60_000, total: 7, orders: 1 },
  [`c-1#${noon + 60_000}`]: { key: 'c-1', windowStart: noon + 60_000, windowEnd: noon + 120_000, total: 12, orders: 1 },
};
const byKey = (rows: readonly Row[]) => Object.fromEntries(rows.map((r) => [r.key, r.value]));

afterAll(async () => {
  await api?.close();
  clone.remove();
});

describe('docs/own-job.md, followed on a clone of the repository', () => {
  it('1-3: scaffolds order-totals, takes the Write it code and passes its harness test', async () => {
    const created = await step('npx sluice new job order-totals');
    expect(created.code, created.stderr).toBe(0);
    expect(blocks('')[0]).toBe(created.stdout);

    // "2. Write it" and "3. Test it": the page's job and test, in place of the generated ones.
    writeFileSync(join(clone.dir, 'jobs', 'order-totals', 'job.ts'), fixture('job.ts'));
    writeFileSync(join(clone.dir, 'jobs', 'order-totals', 'job.test.ts'), fixture('job.test.ts'));
    expect(blocks('ts')).toContain(fixture('job.ts'));
    expect(blocks('ts')).toContain(fixture('job.test.ts'));

    const tested = await step('npx vitest run jobs/order-totals');
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(stripVTControlCharacters(tested.stdout)).toMatch(/Tests +3 passed \(3\)/);
  }, 120_000);

  describe('4 and 6: beside the local jobs API', () => {
    beforeAll(async () => {
      expect(blocks('sh')).toContain('npm run api\n');
      // npm run api: the clone's API on the clone's catalog, as `npm run api` in the clone would run it.
      const from = async <T>(path: string) => (await import(join(clone.dir, path))) as T;
      const modules: LocalApiModules = {
        ...(await from<Pick<LocalApiModules, 'catalog'>>('jobs/catalog.ts')),
        ...(await from<Pick<LocalApiModules, 'createAwsPorts'>>('engine/adapters/deployed-ports.ts')),
        ...(await from<Pick<LocalApiModules, 'DynamoDbJobRegistry'>>('engine/adapters/aws/dynamodb-job-registry.ts')),
        ...(await from<Pick<LocalApiModules, 'silentLogger'>>('engine/adapters/memory/index.ts')),
        ...(await from<Pick<LocalApiModules, 'systemClock'>>('engine/adapters/system-clock.ts')),
        ...(await from<Pick<LocalApiModules, 'startLocalApi'>>('local/api-runtime.ts')),
        ...(await from<Pick<LocalApiModules, 'writeEndpointsFile'>>('local/endpoints-file.ts')),
        ...(await from<Pick<LocalApiModules, 'localJobPreparer'>>('local/prepare-job.ts')),
      };
      ({ api } = await startLocalApiOnStandIns('walk', { modules, dataDir }));
    });

    it('starts the job, produces the orders, gives the rows the page states, stops', async () => {
      const started = await step('npx sluice jobs start order-totals --from earliest');
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      expect(started.stdout).toContain('order-totals');

      const orders = blocks('').find((b) => b.startsWith('{"orderId"'));
      expect(orders).toBeDefined();
      writeFileSync(join(clone.dir, 'orders.jsonl'), orders!);
      const produced = await step('npx sluice produce orders --file orders.jsonl --key-field customerId');
      expect(produced.stderr).toBe('');
      expect(produced.code).toBe(0);
      expect(produced.stdout).toContain('wrote 4 records to Kinesis stream orders');

      const rows = await until('the rows of order-totals', results, (r) => r.length >= 3);
      expect(byKey(rows)).toEqual(expectedRows);

      const status = await step('npx sluice jobs status order-totals');
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^job order-totals \(order-totals\) +RUNNING$/m);
      expect(status.stdout).toMatch(/^ +last error +none$/m);

      const shown = await step('npx sluice jobs results order-totals');
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain('3 rows of the dynamodb sink order-totals');
      for (const key of Object.keys(expectedRows)) expect(shown.stdout).toContain(key);

      const deadLetters = await step('npx sluice jobs dead-letters order-totals');
      expect(deadLetters.code, deadLetters.stderr).toBe(0);
      expect(deadLetters.stdout).toContain('no dead letters');

      const stopped = await step('npx sluice jobs stop order-totals --wait');
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stdout).toContain('STOPPED');
      expect(await state()).toBe('STOPPED');
    }, 150_000); // six to eight commands of a few seconds each on 2 busy cores

    it('lists the checkpoints, replays from batch 1 (dry run, then in place) and resumes to the same rows', async () => {
      const before = await results();

      // Section 6 starts with the stop again: the job is stopped already.
      const stoppedAgain = await step('npx sluice jobs stop order-totals --wait');
      expect(stoppedAgain.code, stoppedAgain.stderr).toBe(0);

      const listed = await step('npx sluice checkpoints list --job order-totals');
      expect(listed.stderr).toBe('');
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^job order-totals +generation 0 +\d+ batches kept/);

      const dryRun = await step('npx sluice replay --job order-totals --from-batch 1 --dry-run');
      expect(dryRun.stderr).toBe('');
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toContain('dry run (nothing is written)');
      expect(dryRun.stdout).toMatch(/total: \d+ batches, \d+ ranges, 4 records/);
      expect(await results()).toEqual(before);

      const replayed = await step('npx sluice replay --job order-totals --from-batch 1');
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toContain('replayed job order-totals in place');
      // The replay wrote the rows again, at generation 1, when the orders came after batch 1 (as they do: the job starts first).
      const after = await results();
      expect(byKey(after)).toEqual(expectedRows);
      const batch = before[0]!.batchId;
      expect(after.map((r) => [r.batchId, r.generation])).toEqual(after.map(() => [batch, batch > 1 ? 1 : 0]));

      const resumed = await step('npx sluice jobs resume order-totals');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain('resumed job order-totals');
      await until('the state of order-totals', state, (s) => s === 'RUNNING');
      expect(byKey(await results())).toEqual(expectedRows);

      expect((await fetch(`${api!.url}/jobs/order-totals/stop`, { method: 'POST' })).status).toBe(202);
      await until('the state of order-totals', state, (s) => s === 'STOPPED');
    }, 150_000); // six to eight commands of a few seconds each on 2 busy cores
  });
});

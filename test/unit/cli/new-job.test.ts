/**
 * `sluice new job <name>` (cli/commands/new-job.ts) on a scratch copy of the project: the
 * files it writes compile with the catalog, pass `biome ci` (format and lint, as `npm test`),
 * and the generated harness test passes as written; the catalog resolves the new job;
 * a taken or invalid name is refused and writes nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scaffoldJob } from '../../../cli/commands/new-job.js';
import { CatalogEditError, withCatalogEntry } from '../../../cli/scaffold/catalog-edit.js';
import { jobIdentifier } from '../../../cli/scaffold/job-template.js';
import { resolveJob, type JobCatalog } from '../../../engine/driver/catalog.js';
import { biomeCi, REPO, run, runVitest, scratchProject, typeErrors } from '../../support/scratch-project.js';

const project = scratchProject('new-job');
afterAll(() => project.remove());

const sluice = (...args: string[]) => run('node', [join(REPO, 'bin', 'sluice.js'), ...args]);
const file = (path: string) => readFileSync(join(project.dir, path), 'utf8');

describe('sluice new job', () => {
  it('writes a job, its harness test and its catalog entry, which compile, pass biome ci and pass', async () => {
    const result = await sluice('new', 'job', 'order-totals', '--dir', project.dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('new job order-totals (orderTotals): stream order-totals-input -> table order-totals-results');
    expect(result.stdout).toContain('wrote jobs/order-totals/job.test.ts');
    // docs/own-job.md shows this output as it is.
    expect(readFileSync(join(REPO, 'docs', 'own-job.md'), 'utf8')).toContain(`\n\`\`\`\n${result.stdout}\`\`\`\n`);

    const catalogText = file('jobs/catalog.ts');
    expect(catalogText).toContain("import { orderTotals } from './order-totals/job.js';");
    expect(catalogText).toContain("  'order-totals': orderTotals,\n};");

    const written = ['jobs/catalog.ts', 'jobs/order-totals/job.ts', 'jobs/order-totals/job.test.ts'];
    expect(typeErrors(written.map((f) => join(project.dir, f)))).toBe('');
    const biome = await biomeCi(written.map((f) => join(project.dir, f)));
    expect(biome.code, biome.stdout + biome.stderr).toBe(0);

    const { catalog } = (await import(join(project.dir, 'jobs', 'catalog.ts'))) as { catalog: JobCatalog };
    const job = resolveJob(catalog, 'order-totals', {});
    expect(job.source.spec).toMatchObject({ type: 'kinesis', streamName: 'order-totals-input' });
    expect(job.sink).toMatchObject({ type: 'dynamodb', tableName: 'order-totals-results' });
    expect(Object.keys(catalog).at(-1)).toBe('order-totals');

    const tests = await runVitest(project, 'jobs/order-totals');
    expect(tests.stdout + tests.stderr).toContain('sums amounts per key per minute, and dead-letters a record without them');
    expect(tests.code, tests.stdout + tests.stderr).toBe(0);
  }, 180_000); // the typecheck covers the engine the job imports: about 25 s on 2 cores

  it('refuses a job that exists (exit 3) and an invalid name (exit 2), writing nothing', async () => {
    const before = file('jobs/catalog.ts');
    const jobs = readdirSync(join(project.dir, 'jobs')).sort();
    const [again, invalid] = await Promise.all([
      sluice('new', 'job', 'order-totals', '--dir', project.dir),
      sluice('new', 'job', 'Order_Totals', '--dir', project.dir),
    ]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('jobs/order-totals already exists');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(`error: job name "Order_Totals" must be 1-63 lower-case letters, digits or '-'`);
    expect(file('jobs/catalog.ts')).toBe(before);
    expect(readdirSync(join(project.dir, 'jobs')).sort()).toEqual(jobs);
  });

  it('refuses a directory without a catalog', () => {
    const elsewhere = join(project.dir, 'jobs', 'clickstream');
    expect(() => scaffoldJob(elsewhere, 'x')).toThrow(
      new CatalogEditError(
        `${join(elsewhere, 'jobs', 'catalog.ts')} does not exist: run this in a Sluice project (or name one with --dir)`,
      ),
    );
    expect(existsSync(join(elsewhere, 'jobs'))).toBe(false);
  });
});

describe('the catalog edit', () => {
  const catalog = [
    "import { z } from 'zod';",
    'import {',
    '  catalogEntry,',
    "} from '#sluice/catalog';",
    '',
    '// views per page',
    'export const catalog: JobCatalog = {',
    "  'page-views': pageViews,",
    '};',
    '',
  ].join('\n');

  it('imports the job after the last import and adds it last, quoting the name only when it must', () => {
    expect(withCatalogEntry(catalog, 'orders').split('\n')).toEqual([
      "import { z } from 'zod';",
      'import {',
      '  catalogEntry,',
      "} from '#sluice/catalog';",
      "import { orders } from './orders/job.js';",
      '',
      '// views per page',
      'export const catalog: JobCatalog = {',
      "  'page-views': pageViews,",
      '  orders,',
      '};',
      '',
    ]);
  });

  it('imports the job under another name when the catalog already uses its own', () => {
    const edited = withCatalogEntry(catalog, 'page');
    expect(edited).toContain("import { page as pageJob } from './page/job.js';");
    expect(edited).toContain('  page: pageJob,\n};');
    expect(withCatalogEntry(catalog, 'z')).toContain("import { z as zJob } from './z/job.js';");
  });

  it('refuses a name the catalog has, and a catalog without the expected block', () => {
    expect(() => withCatalogEntry(catalog, 'page-views')).toThrow(
      new CatalogEditError('jobs/catalog.ts already has a job named page-views: choose another name'),
    );
    expect(() => withCatalogEntry('export const catalog = makeCatalog();\n', 'orders')).toThrow(/add it by hand/);
  });

  it('names the job as a valid identifier', () => {
    expect(['order-totals', 'a--b-', '2fa-codes', 'delete', 'new'].map(jobIdentifier)).toEqual([
      'orderTotals',
      'aB',
      'job2faCodes',
      'deleteJob',
      'newJob',
    ]);
  });
});

/**
 * Catalog entries (engine/driver/catalog.ts): a job without parameters is its definition
 * as it is, and refuses any parameter of its own; a job with parameters declares them with
 * a schema that resolveJob checks; anything else in the catalog fails naming its entry.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalogEntry, catalogEntryOf, ENGINE_PARAMETERS, resolveJob, type JobCatalog } from '../../../engine/driver/catalog.js';
import { JobSpecError } from '../../../engine/errors.js';
import { count, defineJob, memorySink, memorySource, tumbling, type JobDefinition } from '../../../engine/job/index.js';

const totals = (sinkName = 'order-totals'): JobDefinition =>
  defineJob<{ customerId: string; ts: number }>({
    name: 'order-totals',
    version: 1,
    source: memorySource({ streamName: 'orders' }),
    sink: memorySink({ name: sinkName }),
    pipeline: (orders) =>
      orders
        .withWatermark((o) => o.ts, { allowedLatenessMs: 0 })
        .keyBy((o) => o.customerId)
        .window(tumbling({ sizeMs: 60_000 }))
        .aggregate(count()),
  });

const orderTotals = totals();
const catalog: JobCatalog = {
  'order-totals': orderTotals,
  'order-totals-into': catalogEntry({
    description: 'order totals into a table of choice',
    parameters: z.strictObject({ sinkName: z.string().min(1) }),
    create: (p) => totals(p.sinkName),
  }),
};

const specError = (run: () => unknown): JobSpecError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(JobSpecError);
    return error as JobSpecError;
  }
  throw new Error('expected a JobSpecError');
};

describe('a plain catalog entry (a job without parameters)', () => {
  it('resolves to the job definition itself', () => {
    expect(resolveJob(catalog, 'order-totals', {})).toBe(orderTotals);
  });

  it('takes the engine parameters', () => {
    const job = resolveJob(catalog, 'order-totals', { [ENGINE_PARAMETERS.maxRecordsPerPartition]: 7 });
    expect(job.maxRecordsPerPartition).toBe(7);
    expect(job.name).toBe('order-totals');
  });

  it('refuses any parameter of its own, naming each', () => {
    const error = specError(() => resolveJob(catalog, 'order-totals', { sinkTable: 'x', region: 'y' }));
    expect(error.message).toContain('job order-totals has no parameters, got "sinkTable", "region"');
    expect(error.message).toContain('catalogEntry({ description, parameters: zodSchema, create })');
  });

  it('is described by the job name', () => {
    expect(catalogEntryOf('order-totals', orderTotals).description).toBe('order-totals');
  });

  it('fails naming the entry when it is not a job (a spec not passed through defineJob)', () => {
    const spec = { name: 'order-totals', version: 1, pipeline: () => null } as unknown as JobDefinition;
    const error = specError(() => resolveJob({ broken: spec }, 'broken', {}));
    expect(error.message).toBe(
      'catalog entry "broken" is neither a job (what defineJob returns) nor catalogEntry({ description, parameters, create })',
    );
  });
});

describe('a catalog entry with parameters', () => {
  it('builds the job from the parameters its schema parsed', () => {
    expect(resolveJob(catalog, 'order-totals-into', { sinkName: 'elsewhere' }).sink).toEqual(memorySink({ name: 'elsewhere' }));
  });

  it('refuses an unknown or bad parameter with a JobSpecError naming it', () => {
    expect(specError(() => resolveJob(catalog, 'order-totals-into', { sinkName: 'a', other: 1 })).message).toContain(
      'job order-totals-into has no parameter "other" (known: sinkName)',
    );
    expect(specError(() => resolveJob(catalog, 'order-totals-into', { sinkName: 3 })).message).toContain(
      'job order-totals-into: parameter sinkName',
    );
  });
});

describe('the catalog', () => {
  it('names its jobs when asked for one it does not have', () => {
    expect(specError(() => resolveJob(catalog, 'nope', {})).message).toBe(
      'no job named "nope" in the catalog (known: order-totals, order-totals-into)',
    );
  });
});

/**
 * A start or resume whose job code has another state shape than the checkpoint it would
 * build on, under the same version, is a 400 carrying the JobSpecError's text
 * (engine/api/state-shape-check.ts): its driver would fail at its first plan.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import type { ControlApiContext } from '../../../engine/api/context.js';
import { resumeJobInstance, startJobInstance } from '../../../engine/api/jobs.js';
import { parseStartJob } from '../../../engine/api/requests.js';
import type { JobCatalog } from '../../../engine/driver/catalog.js';
import { markStopped, startJob } from '../../../engine/driver/job-control.js';
import type { DriverExecutions } from '../../../engine/ports/driver-executions.js';
import { batchCommit, batchPlan, metrics, partitionCommit, partitionPlan } from '../../support/builders.js';
import { clickstreamJob } from '../../../jobs/clickstream/job.js';
import { memoryApiContext } from '../../support/api-context.js';

const SHAPE = clickstreamJob().stateShape;
const OTHER = 'ffffffffffffffff';

const catalog: JobCatalog = {
  'page-views': { description: 'as deployed', create: () => clickstreamJob() },
  // The same job and version, built by code whose state has another shape.
  reshaped: { description: 'another state shape, same version', create: () => ({ ...clickstreamJob(), stateShape: OTHER }) },
};

function fixture() {
  const ports = createMemoryPorts();
  ports.source.createStream('clickstream', ['p0']);
  const executions: DriverExecutions = { start: async () => 'started', status: async () => null };
  const ctx: ControlApiContext = memoryApiContext(ports, { registry: new MemoryJobRegistry(), executions, catalog });
  /** Committed batches 1..n of `jobId`, planned by code of `stateShape` (none: before fingerprints). */
  const write = async (jobId: string, n: number, stateShape: string | undefined) => {
    await ports.wal.acquireEpoch(jobId);
    for (let id = 1; id <= n; id += 1) {
      await ports.wal.putPlan(
        batchPlan({
          jobId,
          batchId: id,
          partitions: [partitionPlan('p0')],
          jobVersion: 1,
          keyGroups: 8,
          groups: {},
          ...(stateShape ? { stateShape } : {}),
        }),
      );
      await ports.wal.commitBatch(
        jobId,
        batchCommit({
          batchId: id,
          partitions: {
            p0: partitionCommit({ end: { count: 1, lastOffset: String(id) }, nextStart: { type: 'AFTER', offset: String(id) } }),
          },
          metrics: metrics({ records: 1 }),
        }),
      );
    }
  };
  return { ports, ctx, write };
}

const RESUME = { trigger: null, maxRecordsPerPartition: null, idempotencyToken: null };
const CHANGED =
  /job j: its state shape changed at version 1: its checkpoint \(the state after batch 2\) was written with state shape [0-9a-f]{16}, and this code, also version 1, has state shape ffffffffffffffff \(decode\(json\) > .*\); it would misread that state and dead-letter its records\. Bump the job's version to 2 and declare migrations/;

describe('starting a job on state of another shape', () => {
  it('a resume is a 400 with the JobSpecError text, and starts nothing', async () => {
    const { ctx, write } = fixture();
    await write('j', 2, SHAPE);
    await startJob({ jobId: 'j', jobName: 'reshaped' }, ctx);
    await markStopped('j', 0, 'stopped', ctx);
    const refused = resumeJobInstance('j', RESUME, ctx);
    await expect(refused).rejects.toMatchObject({ status: 400, fields: [{ field: 'jobId', message: expect.stringMatching(CHANGED) }] });
    await expect(refused).rejects.toThrow(/^jobId cannot run from its checkpoint: job j: its state shape changed at version 1/);
    expect((await ctx.registry.get('j'))?.state).toBe('STOPPED');
  });

  it("a start from another instance's checkpoint, and a start of a job id with batches, are 400s naming jobName", async () => {
    const { ctx, write } = fixture();
    await write('src', 2, SHAPE);
    const fromSrc = parseStartJob({ jobName: 'reshaped', jobId: 'copy', startingPosition: { type: 'checkpoint', jobId: 'src' } });
    await expect(startJobInstance(fromSrc, ctx)).rejects.toMatchObject({
      status: 400,
      fields: [{ field: 'jobName', message: expect.stringContaining('job src: its state shape changed at version 1') }],
    });
    await write('j', 2, SHAPE);
    await expect(startJobInstance(parseStartJob({ jobName: 'reshaped', jobId: 'j' }), ctx)).rejects.toMatchObject({
      status: 400,
      fields: [{ field: 'jobName', message: expect.stringMatching(CHANGED) }],
    });
    expect(await ctx.registry.get('j')).toBeNull();
  });

  it('the same shape, or a checkpoint written before fingerprints, starts', async () => {
    const { ctx, write } = fixture();
    await write('j', 2, SHAPE);
    expect((await startJobInstance(parseStartJob({ jobName: 'page-views', jobId: 'j' }), ctx)).status).toBe(201);
    // Another deployment (its own registry: the sink table is not j's there).
    const other = fixture();
    await other.write('old', 2, undefined);
    expect((await startJobInstance(parseStartJob({ jobName: 'reshaped', jobId: 'old' }), other.ctx)).status).toBe(201);
  });
});

/**
 * planBatch lists the source's partitions while it reads the latest batch: only a new plan
 * uses the listing, so a resumed batch neither needs nor fails on it.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { planBatch } from '../../../engine/driver/plan-batch.js';
import { startDriver } from '../../../engine/driver/start-driver.js';
import { TransientError } from '../../../engine/errors.js';
import { count, defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import type { SourceSpec } from '../../../engine/ports/source-reader.js';

describe('planBatch', () => {
  const job = defineJob<{ page: string }>({
    name: 'views',
    version: 1,
    source: memorySource({ streamName: 'clicks' }),
    pipeline: (s) => s.keyBy((e) => e.page).aggregate(count()),
    sink: memorySink({ name: 'out' }),
    outputMode: 'update',
    trigger: { type: 'availableNow' },
  });

  /** Memory ports whose source listing fails once `unlisted` is set. */
  function setup() {
    const memory = createMemoryPorts();
    memory.source.createStream('clicks', ['p-0', 'p-1']);
    const state = { unlisted: false, listings: 0 };
    const ports = {
      ...memory,
      sources: (spec: SourceSpec) => {
        const reader = memory.sources(spec);
        return {
          ...reader,
          read: reader.read.bind(reader),
          listPartitions: async () => {
            state.listings += 1;
            if (state.unlisted) throw new TransientError('the source cannot be listed now');
            return reader.listPartitions();
          },
        };
      },
    };
    return { ctx: { ports, job }, state };
  }

  it('resumes a planned batch when the source cannot be listed', async () => {
    const { ctx, state } = setup();
    const { epoch } = await startDriver({ jobId: 'views' }, ctx);
    const first = await planBatch({ jobId: 'views', epoch }, ctx);
    expect(first).toMatchObject({ batchId: 1, resumed: false, partitions: ['p-0', 'p-1'] });
    state.unlisted = true;
    const again = await planBatch({ jobId: 'views', epoch }, ctx);
    expect(again).toMatchObject({ batchId: 1, resumed: true, partitions: ['p-0', 'p-1'] });
    expect(state.listings).toBe(2);
  });

  it('fails a new plan with the listing’s error', async () => {
    const { ctx, state } = setup();
    const { epoch } = await startDriver({ jobId: 'views' }, ctx);
    state.unlisted = true;
    await expect(planBatch({ jobId: 'views', epoch }, ctx)).rejects.toBeInstanceOf(TransientError);
    expect(await ctx.ports.wal.getLatestBatch('views')).toBeNull();
  });
});

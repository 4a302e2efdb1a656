import { describe, expect, it } from 'vitest';
import { defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import { MAX_SINK_ROW_BYTES } from '../../../engine/executor/batch-outputs.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

describe('rows no sink can accept', () => {
  it('go to the dead-letter table with stage sink, and the partition moves on', async () => {
    const job = defineJob({
      name: 'passthrough',
      version: 1,
      source: memorySource({ streamName: 's' }),
      pipeline: (s) => s,
      sink: memorySink({ name: 'out' }),
    });
    const t = createTestHarness(job);
    t.addRecords([{ ok: 1 }, { pk: 'clash' }, { big: 'x'.repeat(MAX_SINK_ROW_BYTES) }, { ok: 2 }]);
    const batch = await t.runBatch();
    expect(batch.deadLetters).toHaveLength(2);
    expect(batch.deadLetters.every((d) => d.stage === 'sink' && d.rowKey !== undefined)).toBe(true);
    expect(batch.deadLetters.map((d) => d.reason).sort()).toEqual([
      expect.stringMatching(/uses the reserved field name pk$/),
      expect.stringMatching(/above the 409600-byte limit of a sink item$/),
    ]);
    expect(batch.emitted.map((r) => r.value)).toEqual([{ ok: 1 }, { ok: 2 }]);
    expect(batch.commit.metrics.deadLetters).toBe(2);
    t.addRecords([{ ok: 3 }]);
    expect((await t.runBatch()).emitted.map((r) => r.value)).toEqual([{ ok: 3 }]);
  });
});

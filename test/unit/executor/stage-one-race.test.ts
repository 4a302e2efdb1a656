/**
 * Stage 1 computes while its range end is being recorded (readRange's whileRecording):
 * when another attempt recorded a different end first, the result must be the recorded
 * range's, exactly what any later attempt returns, not the computation over what this
 * attempt read.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { executeTask, planTask, type PlannedBatch } from '../../../engine/driver/tasks.js';
import type { WriteAheadLog } from '../../../engine/ports/write-ahead-log.js';
import { startedKeyedCount } from '../../support/keyed-count-tasks.js';

describe('stage 1 beside the range end’s put', () => {
  it('an attempt whose read loses to a shorter recorded end returns the recorded range’s result', async () => {
    const ports = createMemoryPorts();
    ports.source.createStream('s', ['p0']);
    const enc = new TextEncoder();
    const offsets = ports.source.append(
      's',
      'p0',
      ['a', 'b', 'c', 'a', 'b'].map((k) => ({ key: k, data: enc.encode(JSON.stringify({ k })) })),
    );
    const { ctx, driver } = await startedKeyedCount(ports, { keyGroups: 4 });
    const planned = await planTask({ driver }, ctx);
    if (planned.stop || planned.idle) throw new Error('nothing was planned');
    const batch: PlannedBatch = planned;

    // Another attempt recorded two records while this one read all five.
    const wal = ports.wal;
    const racing: WriteAheadLog = Object.create(wal);
    racing.recordRangeEnd = async (jobId, batchId, partition, _ours) => {
      await wal.recordRangeEnd(jobId, batchId, partition, { count: 2, lastOffset: offsets[1]! });
      return wal.recordRangeEnd(jobId, batchId, partition, _ours);
    };
    const lost = await executeTask({ driver, batchId: batch.batchId, partition: 'p0' }, { ...ctx, ports: { ...ports, wal: racing } });
    const again = await executeTask({ driver, batchId: batch.batchId, partition: 'p0' }, ctx);

    expect(lost.records).toBe(2);
    expect(lost.end).toEqual({ count: 2, lastOffset: offsets[1] });
    expect(lost.exchange).toEqual(again.exchange);
    // All but the lag the read saw (what the source said at the time of each read).
    expect({ ...lost, lagMs: null }).toEqual({ ...again, lagMs: null });
    // Two keys, one value each: only the recorded records' rows went to the exchange.
    const groups = Object.keys(lost.exchange!.index);
    expect(groups.length).toBeGreaterThanOrEqual(1);
    expect(lost.exchange!.inline).toBeDefined();
    expect(lost.exchange!.inline).not.toContain('"c"');
  });
});

/**
 * The rules of engine/ports/dead-letter-queue.ts, checked against any adapter (a fresh,
 * empty queue per test). A letter is identified by (jobId, partition, offset).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetter, DeadLetterQueue } from '../../engine/ports/dead-letter-queue.js';

const BASE_OFFSET = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

function letter(n: number, overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    jobId: 'job',
    partition: `shardId-00000000000${n % 2}`,
    offset: (BASE_OFFSET + BigInt(n) * 1_000_000n).toString(),
    batchId: 3,
    stage: 'decode',
    reason: `SyntaxError: Unexpected token in record ${n}`,
    payloadBase64: Buffer.from(`{"broken": ${n}`).toString('base64'),
    recordedAt: 1_767_225_600_000 + n,
    ...overrides,
  };
}

const identity = (l: DeadLetter) => `${l.jobId}|${l.partition}|${l.offset}`;
const sorted = (letters: readonly DeadLetter[]) => [...letters].sort((a, b) => (identity(a) < identity(b) ? -1 : identity(a) > identity(b) ? 1 : 0));

export function describeDeadLetterQueueContract(name: string, makeAdapter: () => Promise<DeadLetterQueue> | DeadLetterQueue): void {
  describe(`DeadLetterQueue contract: ${name}`, () => {
    let queue: DeadLetterQueue;
    beforeEach(async () => {
      queue = await makeAdapter();
    });

    it('lists nothing for a job without letters', async () => {
      expect(await queue.list('job')).toEqual([]);
      await queue.put([]);
      expect(await queue.list('job')).toEqual([]);
    });

    it('stores letters exactly as given and lists them per job', async () => {
      const letters = [letter(1), letter(2, { stage: 'map', batchId: 4 }), letter(3, { jobId: 'job-2' })];
      await queue.put(letters);
      expect(sorted(await queue.list('job'))).toEqual(sorted(letters.slice(0, 2)));
      expect(await queue.list('job-2')).toEqual([letters[2]]);
      expect(await queue.list('jo')).toEqual([]);
    });

    it('is idempotent: a re-run batch writing the same letters leaves one of each', async () => {
      const letters = Array.from({ length: 10 }, (_, i) => letter(i));
      await queue.put(letters);
      await queue.put(letters);
      await queue.put([...letters.slice(5), ...letters.slice(0, 5)]);
      expect(sorted(await queue.list('job'))).toEqual(sorted(letters));
    });

    it('keeps the last letter written for the same record', async () => {
      await queue.put([letter(1)]);
      await queue.put([letter(1, { reason: 'second attempt', batchId: 4 })]);
      expect(await queue.list('job')).toEqual([letter(1, { reason: 'second attempt', batchId: 4 })]);
      await queue.put([letter(2, { reason: 'a' }), letter(2, { reason: 'b' })]);
      const listed = await queue.list('job');
      expect(listed).toHaveLength(2);
      expect(listed.find((l) => l.offset === letter(2).offset)?.reason).toBe('b');
    });

    it('keeps the same offset in different partitions apart', async () => {
      const a = letter(1, { partition: 'p-a' });
      const b = letter(1, { partition: 'p-b' });
      await queue.put([a, b]);
      expect(sorted(await queue.list('job'))).toEqual(sorted([a, b]));
    });

    it('stores and lists many letters, more than one page of big ones', async () => {
      // 300 letters of ~4 KB: more than one write request and more than one 1 MB query page.
      const letters = Array.from({ length: 300 }, (_, i) =>
        letter(i, { payloadBase64: Buffer.from('x'.repeat(3_000) + i).toString('base64') }),
      );
      await queue.put(letters);
      expect(sorted(await queue.list('job'))).toEqual(sorted(letters));
    });
  });
}

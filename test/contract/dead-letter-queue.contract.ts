/**
 * The rules of engine/ports/dead-letter-queue.ts, checked against any adapter (a fresh,
 * empty queue per test). A letter is identified by (jobId, partition, offset); letters are
 * stored in bundles (engine/ports/dead-letter-bundles.ts) and read each once, in position
 * order (partition, then offset as a number, then row key).
 */
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { inPositionOrder } from '../../engine/ports/dead-letter-order.js';
import type { DeadLetter, DeadLetterPage, DeadLetterPageOptions, DeadLetterQueue } from '../../engine/ports/dead-letter-queue.js';

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
const sorted = (letters: readonly DeadLetter[]) =>
  [...letters].sort((a, b) => (identity(a) < identity(b) ? -1 : identity(a) > identity(b) ? 1 : 0));
/** In the order pages list them: partition, then offset as a number, then row key. */
const byId = (letters: readonly DeadLetter[]) => inPositionOrder(letters);

/** Every page from `after` on, with `limit` letters a page. */
async function allPages(queue: DeadLetterQueue, jobId: string, options: DeadLetterPageOptions): Promise<DeadLetterPage[]> {
  const pages: DeadLetterPage[] = [];
  let after = options.after;
  do {
    const page = await queue.page(jobId, { ...options, ...(after === undefined ? {} : { after }) });
    pages.push(page);
    after = page.next ?? undefined;
  } while (after !== undefined && pages.length < 1_000);
  return pages;
}

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

    it('pages through every letter once, in id order, the last page ending the paging', async () => {
      const letters = [
        ...Array.from({ length: 22 }, (_, i) => letter(i)),
        // A sink row's letter, filed under a range's last offset plus its key.
        letter(4, { stage: 'sink', rowKey: '/home|2026-01-01T12:00:00Z' }),
      ];
      await queue.put(letters);
      await queue.put([letter(1, { jobId: 'job-2' })]);

      const pages = await allPages(queue, 'job', { limit: 5 });
      expect(pages.map((p) => p.letters.length)).toEqual([5, 5, 5, 5, 3]);
      expect(pages.flatMap((p) => p.letters)).toEqual(byId(letters));
      expect(pages.map((p) => p.next === null)).toEqual([false, false, false, false, true]);

      // A page that ends exactly at the last letter is the last: no empty page after it.
      const exact = await allPages(queue, 'job', { limit: 23 });
      expect(exact.map((p) => [p.letters.length, p.next])).toEqual([[23, null]]);
      expect((await queue.page('job', { limit: 100 })).letters).toEqual(byId(letters));
    });

    it("pages one partition only, also when its id is a prefix of another's", async () => {
      const partitions = ['shardId-1', 'shardId-10', 'shardId-2', 'shardId-100'];
      const letters = partitions.flatMap((partition) => Array.from({ length: 4 }, (_, i) => letter(i, { partition })));
      await queue.put(letters);
      for (const partition of partitions) {
        const pages = await allPages(queue, 'job', { limit: 3, partition });
        expect(
          pages.flatMap((p) => p.letters),
          partition,
        ).toEqual(byId(letters.filter((l) => l.partition === partition)));
        expect(
          pages.map((p) => p.letters.length),
          partition,
        ).toEqual([3, 1]);
      }
      expect(await queue.page('job', { limit: 3, partition: 'shardId-' })).toEqual({ letters: [], next: null });
      expect(await queue.page('job-2', { limit: 3, partition: 'shardId-1' })).toEqual({ letters: [], next: null });
    });

    it('pages nothing for a job without letters', async () => {
      expect(await queue.page('job', { limit: 10 })).toEqual({ letters: [], next: null });
      await queue.put([letter(1, { jobId: 'job-2' }), letter(2, { jobId: 'jo' })]);
      expect(await queue.page('job', { limit: 10 })).toEqual({ letters: [], next: null });
      expect(await queue.page('j', { limit: 10, partition: letter(1).partition })).toEqual({ letters: [], next: null });
    });

    it('goes on from a cursor of an earlier page: the same letters again, and letters written since that sort after it', async () => {
      const letters = Array.from({ length: 10 }, (_, i) => letter(i * 2, { partition: 'p' }));
      await queue.put(letters);
      const first = await queue.page('job', { limit: 4 });
      const cursor = first.next!;
      expect(first.letters).toEqual(byId(letters).slice(0, 4));
      expect(typeof cursor).toBe('string');

      const again = await queue.page('job', { limit: 4, after: cursor });
      expect(await queue.page('job', { limit: 4, after: cursor })).toEqual(again);
      expect(again.letters).toEqual(byId(letters).slice(4, 8));

      // Written since: one before the cursor (not read from it), one after.
      const before = letter(1, { partition: 'p' });
      const after = letter(19, { partition: 'p' });
      await queue.put([before, after]);
      const rest = (await allPages(queue, 'job', { limit: 4, after: cursor })).flatMap((p) => p.letters);
      expect(rest).toEqual(byId([...letters, after]).slice(4));
      expect(rest).not.toContainEqual(before);
      expect((await allPages(queue, 'job', { limit: 4, after: cursor, partition: 'p' })).flatMap((p) => p.letters)).toEqual(rest);
    });

    it('stores and lists many letters, more than one page of big ones', async () => {
      // 300 letters of ~4 KB: more than one write request and more than one 1 MB query page.
      const letters = Array.from({ length: 300 }, (_, i) =>
        letter(i, { payloadBase64: Buffer.from('x'.repeat(3_000) + i).toString('base64') }),
      );
      await queue.put(letters);
      expect(sorted(await queue.list('job'))).toEqual(sorted(letters));
      // A page larger than 1 MB: DynamoDB ends a query page there, and the page goes on.
      const first = await queue.page('job', { limit: 280 });
      expect(first.letters).toEqual(byId(letters).slice(0, 280));
      const second = await queue.page('job', { limit: 280, after: first.next! });
      expect(second).toEqual({ letters: byId(letters).slice(280), next: null });
    });

    it('orders Kafka offsets as numbers, not as text: 2, 9, 10, 100, 1000', async () => {
      const offsets = ['1000', '9', '100', '2', '10', '0'];
      const letters = ['0', '1'].flatMap((partition) => offsets.map((offset, i) => letter(i, { partition, offset })));
      await queue.put(letters.slice(0, 7));
      await queue.put(letters.slice(7));
      const expected = ['0', '1'].flatMap((partition) => ['0', '2', '9', '10', '100', '1000'].map((offset) => `${partition}@${offset}`));
      const at = (ls: readonly DeadLetter[]) => ls.map((l) => `${l.partition}@${l.offset}`);
      expect(at(await queue.list('job'))).toEqual(expected);
      expect(at((await allPages(queue, 'job', { limit: 4 })).flatMap((p) => p.letters))).toEqual(expected);
      expect(at((await allPages(queue, 'job', { limit: 4, partition: '1' })).flatMap((p) => p.letters))).toEqual(expected.slice(6));
    });

    it('pages across the bundles of many batches, with and without a partition filter, each letter once', async () => {
      // 12 batches of 2 partitions, each batch's letters one put (as an executor writes them).
      const batches = Array.from({ length: 12 }, (_, b) => Array.from({ length: 6 }, (_, i) => letter(b * 6 + i, { batchId: b + 1 })));
      for (const batch of batches) await queue.put(batch);
      const letters = batches.flat();
      for (const limit of [1, 7]) {
        expect(
          (await allPages(queue, 'job', { limit })).flatMap((p) => p.letters),
          `limit ${limit}`,
        ).toEqual(byId(letters));
        for (const partition of ['shardId-000000000000', 'shardId-000000000001']) {
          const pages = await allPages(queue, 'job', { limit, partition });
          expect(
            pages.flatMap((p) => p.letters),
            `limit ${limit} ${partition}`,
          ).toEqual(byId(letters.filter((l) => l.partition === partition)));
          expect(pages.slice(0, -1).every((p) => p.letters.length === limit)).toBe(true);
        }
      }
    });

    it('reads a letter once when a replay with other batch boundaries wrote it again, the copy recorded last', async () => {
      // The first run: batches of 10 letters (5 per partition). The replay: batches of 7, from letter 6 on, recorded later.
      const first = Array.from({ length: 30 }, (_, i) => letter(i));
      const replayed = Array.from({ length: 24 }, (_, i) =>
        letter(i + 6, { batchId: 9, reason: `replayed ${i + 6}`, recordedAt: letter(i + 6).recordedAt + 60_000 }),
      );
      for (let i = 0; i < first.length; i += 10) await queue.put(first.slice(i, i + 10));
      for (let i = 0; i < replayed.length; i += 7) await queue.put(replayed.slice(i, i + 7));
      // A zombie of the first run's second batch, late: its copies are older, they do not win.
      await queue.put(first.slice(10, 20));
      const expected = byId([...first.slice(0, 6), ...replayed]);
      expect(await queue.list('job')).toEqual(expected);
      for (const limit of [1, 3, 8]) {
        expect(
          (await allPages(queue, 'job', { limit })).flatMap((p) => p.letters),
          `limit ${limit}`,
        ).toEqual(expected);
        const partition = 'shardId-000000000001';
        expect(
          (await allPages(queue, 'job', { limit, partition })).flatMap((p) => p.letters),
          `limit ${limit} ${partition}`,
        ).toEqual(expected.filter((l) => l.partition === partition));
      }
    });

    it('splits a batch too large for one bundle and loses none of it, also many sink rows under one offset', async () => {
      // Incompressible payloads: ~2 MB of letters, and 150 row letters of one range end, more than one bundle each.
      const records = Array.from({ length: 500 }, (_, i) => letter(i, { payloadBase64: randomBytes(3_000).toString('base64') }));
      const rows = Array.from({ length: 150 }, (_, i) =>
        letter(999, { stage: 'sink', rowKey: `page-${i}|2026-01-01T12:00:00Z`, payloadBase64: randomBytes(3_000).toString('base64') }),
      );
      await queue.put([...records, ...rows]);
      const expected = byId([...records, ...rows]);
      expect(await queue.list('job')).toEqual(expected);
      const pages = await allPages(queue, 'job', { limit: 100 });
      expect(pages.flatMap((p) => p.letters)).toEqual(expected);
      expect(pages.map((p) => p.letters.length)).toEqual([100, 100, 100, 100, 100, 100, 50]);
      const partition = letter(999).partition;
      expect((await allPages(queue, 'job', { limit: 60, partition })).flatMap((p) => p.letters)).toEqual(
        expected.filter((l) => l.partition === partition),
      );
      // Written again (a re-run of the batch): still each letter once.
      await queue.put([...rows, ...records]);
      expect(await queue.list('job')).toEqual(expected);
    });
  });
}

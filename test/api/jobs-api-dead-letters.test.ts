/**
 * The dead letters of a job through the jobs API over HTTP on the local runtime
 * (test/support/jobs-api-http.ts), on DynamoDB Local, kinesalite and s3rver: a job reads
 * a stream with bad records among good ones, and its dead letters page back every bad
 * record once, why it failed and its bytes, all partitions or one. Every request is a real
 * HTTP request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToShard, shardHashKeys } from '../support/aws.js';
import { BASE_TS, type Json, jobsApiOverHttp, PAGES, waitFor } from '../support/jobs-api-http.js';
import { createAwsJobWorld } from '../support/job-world-aws.js';

const { start, close, call } = jobsApiOverHttp();
/** A stream with bad records among good ones, and the dead letters they make: `<shard>#<sequence number>` → the record's bytes. */
let badStreamName: string;
let badSinkTable: string;
const badRecords = new Map<string, Uint8Array>();

beforeAll(async () => {
  const world = await createAwsJobWorld({ shards: 2, prefix: 'api-bad', registryInWalTable: true });
  ({ streamName: badStreamName, sinkTable: badSinkTable } = world);
  const encoder = new TextEncoder();
  // Per shard, 30 records, every 7th of them bad while bad ones last: JSON cut short and a
  // click without a ts (text), bytes that are not UTF-8.
  const hashKeys = await shardHashKeys(badStreamName);
  const bad = [
    [
      encoder.encode('{"page": "/home", "ts": '),
      encoder.encode('{"page": "/cart"}'),
      new Uint8Array([0xff, 0x00, 0x9c, 0x01]),
      encoder.encode('{"page"'),
    ],
    [encoder.encode('not json at all')],
  ];
  for (const [shard, shardId] of [...hashKeys.keys()].entries()) {
    const records = Array.from({ length: 30 }, (_, i) => ({
      key: `k${i}`,
      data:
        (i % 7 === 0 ? bad[shard]![i / 7] : undefined) ??
        encoder.encode(JSON.stringify({ page: PAGES[i % PAGES.length]!, ts: BASE_TS + i * 250 })),
    }));
    const offsets = await appendToShard(badStreamName, shardId, records, hashKeys);
    records.forEach((r, i) => {
      if (bad[shard]!.includes(r.data)) badRecords.set(`${shardId}#${offsets[i]}`, r.data);
    });
  }
  await start(world);
});

afterAll(close);

describe('the jobs API over HTTP on the local runtime', () => {
  it('pages through the dead letters of a job: every bad record once, why it failed, its payload; one partition with ?partition=', async () => {
    const started = await call('POST', '/jobs', {
      jobName: 'page-views',
      jobId: 'bad-input',
      parameters: { streamName: badStreamName, sinkTable: badSinkTable },
      trigger: { type: 'availableNow' },
      maxRecordsPerPartition: 10,
      startingPosition: 'earliest',
    });
    expect(started.status).toBe(201);
    await waitFor('the job caught up and stopped', async () => (await call('GET', '/jobs/bad-input')).body.state === 'STOPPED');

    /** Every page, `limit` letters each: the letters, and the number of pages. */
    const readAll = async (query: string) => {
      const letters: Json[] = [];
      let pages = 0;
      let token: string | null = null;
      do {
        const page = await call(
          'GET',
          `/jobs/bad-input/dead-letters?${query}${token === null ? '' : `&nextToken=${encodeURIComponent(token)}`}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.jobId).toBe('bad-input');
        letters.push(...(page.body.deadLetters as Json[]));
        token = page.body.nextToken;
        pages += 1;
      } while (token !== null);
      return { letters, pages };
    };
    const id = (l: Json) => `${l.partition}#${l.offset}`;

    const { letters, pages } = await readAll('limit=2');
    expect(badRecords.size).toBe(5);
    expect(pages).toBe(3);
    expect(letters.map(id).sort()).toEqual([...badRecords.keys()].sort());
    expect(letters.map(id)).toEqual(letters.map(id).sort());
    const batches = (await call('GET', '/jobs/bad-input/batches?limit=100')).body.batches as Json[];
    expect(batches.reduce((sum, b) => sum + (b.deadLetters ?? 0), 0)).toBe(letters.length);
    for (const letter of letters) {
      const bytes = badRecords.get(id(letter))!;
      expect(letter).toMatchObject({
        batchId: expect.any(Number),
        reason: expect.any(String),
        recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      });
      expect(Buffer.from(letter.payloadBase64, 'base64')).toEqual(Buffer.from(bytes));
      expect(batches.map((b) => b.batchId)).toContain(letter.batchId);
    }
    const byText = (text: string) => letters.find((l) => l.payloadText === text);
    expect(byText('{"page": "/home", "ts": ')).toMatchObject({ stage: 'decode', reason: expect.stringContaining('JSON') });
    expect(byText('{"page": "/cart"}')).toMatchObject({ stage: 'map', reason: expect.stringContaining('a click needs a page and a ts') });
    expect(letters.filter((l) => l.payloadText === undefined)).toEqual([
      expect.objectContaining({ stage: 'decode', payloadBase64: '/wCcAQ==' }),
    ]);

    // One partition: its letters only, as many pages as they fill.
    const partitions = [...new Set(letters.map((l) => l.partition as string))];
    expect(partitions).toHaveLength(2);
    for (const partition of partitions) {
      const one = await readAll(`limit=3&partition=${encodeURIComponent(partition)}`);
      expect(one.letters, partition).toEqual(letters.filter((l) => l.partition === partition));
    }
    const first = await call('GET', '/jobs/bad-input/dead-letters?limit=1');
    const mixed = await call(
      'GET',
      `/jobs/bad-input/dead-letters?nextToken=${encodeURIComponent(first.body.nextToken)}&partition=${encodeURIComponent(partitions[0]!)}`,
    );
    expect(mixed).toMatchObject({
      status: 400,
      body: {
        fields: [
          { field: 'nextToken', message: expect.stringContaining('is a token of the dead letters of every partition, not of partition') },
        ],
      },
    });
  });
});

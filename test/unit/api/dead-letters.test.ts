/** Dead letters in the jobs API: the request's query (requests.ts), the view of a letter (views.ts) and the `sluice` table (format.ts). */
import { describe, expect, it } from 'vitest';
import { formatDeadLetters } from '../../../cli/format/jobs.js';
import { parseListDeadLetters } from '../../../engine/api/requests.js';
import { deadLetterViewOf, payloadTextOf } from '../../../engine/api/views.js';
import type { DeadLetter } from '../../../engine/ports/dead-letter-queue.js';

const base64 = (bytes: string | Uint8Array) => Buffer.from(bytes).toString('base64');

describe('payloadTextOf', () => {
  it.each([
    ['JSON', '{"page": "/home", "ts": 17', '{"page": "/home", "ts": 17'],
    ['text with tabs and line breaks', 'a\tb\r\nc\n', 'a\tb\r\nc\n'],
    ['UTF-8 beyond ASCII', 'café — 東京 🚀', 'café — 東京 🚀'],
    ['nothing', '', ''],
  ])('decodes %s', (_what, payload, text) => {
    expect(payloadTextOf(base64(payload))).toBe(text);
  });

  it.each([
    ['bytes that are not UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ['text cut within a character', Buffer.from('東京').subarray(0, 4)],
    ['a NUL', Buffer.from('{"a":1}\u0000')],
    ['an escape sequence', Buffer.from('\u001b[31mred')],
    ['DEL', Buffer.from('a\u007f')],
    ['a C1 control character', Buffer.from('a\u0085b')],
    ['a protobuf-like record', new Uint8Array([0x08, 0x96, 0x01, 0x12, 0x04, 0x74, 0x65, 0x73, 0x74])],
  ])('leaves out %s', (_what, bytes) => {
    expect(payloadTextOf(base64(bytes))).toBeNull();
  });
});

describe('deadLetterViewOf', () => {
  const letter: DeadLetter = {
    jobId: 'j',
    partition: 'shardId-000000000001',
    offset: '49590338271490256608559692538361571095921575989136588898',
    batchId: 7,
    stage: 'map',
    reason: 'TypeError: a click needs a page and a ts',
    payloadBase64: base64('{"ts": 5}'),
    recordedAt: Date.UTC(2026, 0, 31, 12, 0, 5, 123),
  };

  it('shows where the record is, why it failed, when, and its payload as base64 and text', () => {
    expect(deadLetterViewOf(letter)).toEqual({
      partition: 'shardId-000000000001',
      offset: '49590338271490256608559692538361571095921575989136588898',
      batchId: 7,
      stage: 'map',
      reason: 'TypeError: a click needs a page and a ts',
      recordedAt: '2026-01-31T12:00:05.123Z',
      payloadBase64: base64('{"ts": 5}'),
      payloadText: '{"ts": 5}',
    });
  });

  it('names the row of a sink letter, and has no text for a binary payload', () => {
    const view = deadLetterViewOf({ ...letter, stage: 'sink', rowKey: '/home|0', payloadBase64: base64(new Uint8Array([0, 1, 2])) });
    expect(view).toMatchObject({ stage: 'sink', rowKey: '/home|0', payloadBase64: 'AAEC' });
    expect(view).not.toHaveProperty('payloadText');
    expect(deadLetterViewOf(letter)).not.toHaveProperty('rowKey');
  });

  it('prints a table with the reason on one line, cut to fit', () => {
    const long = `Error: ${'x'.repeat(100)}\n    at decode (job.ts:1:1)`;
    const lines = formatDeadLetters([deadLetterViewOf(letter), deadLetterViewOf({ ...letter, offset: '9', batchId: 12, reason: long })]);
    expect(lines[0]).toMatch(/^PARTITION +OFFSET +BATCH +STAGE +REASON +RECORDED$/);
    expect(lines[1]).toMatch(
      /^shardId-000000000001 +49590338271490256608559692538361571095921575989136588898 +7 +map +TypeError: a click needs a page and a ts +2026-01-31 12:00:05Z$/,
    );
    expect(lines[2]).toMatch(new RegExp(`^shardId-000000000001  9 +12  map    Error: ${'x'.repeat(70)}\\.\\.\\.  2026-01-31 12:00:05Z$`));
    expect(formatDeadLetters([])).toEqual(['no dead letters']);
  });
});

describe('parseListDeadLetters', () => {
  it('defaults to a page of 25 of every partition', () => {
    expect(parseListDeadLetters({})).toEqual({ limit: 25, nextToken: null, partition: null });
    expect(parseListDeadLetters({ limit: '100', nextToken: 't', partition: 'shardId-1' })).toEqual({
      limit: 100,
      nextToken: 't',
      partition: 'shardId-1',
    });
  });

  it('names every bad field', () => {
    expect(() => parseListDeadLetters({ limit: '0', partition: '', nextToken: 'x'.repeat(5_000), shard: '1' })).toThrow(
      expect.objectContaining({
        status: 400,
        fields: [
          { field: 'shard', message: 'is not a known field (known: limit, nextToken, partition)' },
          { field: 'limit', message: 'must be an integer from 1 to 100, got 0' },
          { field: 'nextToken', message: 'must be 1 to 4096 characters, got 5000' },
          { field: 'partition', message: 'must be 1 to 256 characters, got 0' },
        ],
      }),
    );
    for (const [limit, got] of [
      ['101', '101'],
      ['x', '"x"'],
      ['2.5', '"2.5"'],
    ] as const) {
      expect(() => parseListDeadLetters({ limit }), limit).toThrow(
        expect.objectContaining({ fields: [{ field: 'limit', message: `must be an integer from 1 to 100, got ${got}` }] }),
      );
    }
  });
});

/** The clickstream generator's load settings: event-time spacing below a millisecond, and padded records. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLICKSTREAM, expectedCounts, generateClickstream } from './generate.js';

describe('generateClickstream', () => {
  it('spaces events by a fraction of a millisecond: 4,000 events span one second of event time', () => {
    const events = generateClickstream({ ...DEFAULT_CLICKSTREAM, events: 4_000, spacingMs: 0.25, lateShare: 0, tooLateShare: 0 });
    const times = events.map((e) => e.eventTimeMs);
    expect(Math.max(...times) - Math.min(...times)).toBe(999);
    expect(times.every(Number.isInteger)).toBe(true);
    // 24 pages in one 10 s window (the default start is on a window boundary).
    expect(expectedCounts(events, 10_000).counts.size).toBe(24);
  });

  it('pads well-formed records to about payloadBytes of JSON, keeping their fields', () => {
    const events = generateClickstream({ ...DEFAULT_CLICKSTREAM, events: 2_000, payloadBytes: 1_024 });
    const ok = events.filter((e) => e.kind === 'ok');
    for (const e of ok) {
      expect(Buffer.byteLength(e.payload)).toBe(1_024);
      expect(JSON.parse(e.payload)).toMatchObject({ page: e.page, user: e.user, ts: e.eventTimeMs });
    }
    const unpadded = generateClickstream({ ...DEFAULT_CLICKSTREAM, events: 2_000 });
    expect(unpadded.every((e) => !e.payload.includes('pad'))).toBe(true);
    expect(unpadded.map((e) => e.eventTimeMs)).toEqual(events.map((e) => e.eventTimeMs));
  });
});

/**
 * Every NEXMark query job on the test harness (memory adapters, harness-run.ts says how
 * it runs), compared exactly with the reference computed from the generated events alone
 * (bench/nexmark/reference.ts). q6 and q9, the winning-bids queries, are checked in
 * winning-bids.test.ts, and q10, q12, q13 and q14 in more-queries.test.ts.
 *
 * Windowed queries write in update mode, so once the job has read everything the sink
 * holds every window's final value, closed or not, which is what the reference computes.
 */
import { describe, it } from 'vitest';
import { MORE_QUERY_NAMES, QUERY_NAMES } from '../../../jobs/nexmark/index.js';
import { generateNexmark } from '../../../bench/nexmark/generator.js';
import { expectReference } from './harness-run.js';

/** 3,000 events at 100 events/s: 30 s of event time, three 10 s windows, six sliding ones. */
const EVENTS = 3_000;
const RATE = 100;
const events = generateNexmark({ events: EVENTS, eventsPerSecond: RATE, seed: 7 });
const ELSEWHERE: readonly string[] = ['q6', 'q9', ...MORE_QUERY_NAMES];

describe('NEXMark queries on the harness: the sink equals the reference computed from the events', () => {
  for (const query of QUERY_NAMES.filter((q) => !ELSEWHERE.includes(q))) {
    it(`${query}`, async () => {
      await expectReference(query, events, RATE);
    });
  }
});

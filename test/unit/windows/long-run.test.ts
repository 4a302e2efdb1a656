/**
 * A thousand batches through sliding and session windows on the harness: the watermark
 * closes windows as event time moves on, so state stays bounded by what the allowed
 * lateness keeps open, however long the job runs.
 */
import { describe, expect, it } from 'vitest';
import { count, session, sliding } from '../../../engine/job/index.js';
import { PATHS, runOn, wordJob, type Path, type WordEvent } from './paths.js';

const BATCHES = 1_000;
const S = 1_000;

/** Batch b: event time about b seconds, 3 words, some a little late; users come and go (a new one every 20 batches). */
function eventsOf(b: number): WordEvent[] {
  return [
    { word: `u${Math.floor(b / 20)}`, ts: b * S },
    { word: `u${Math.floor(b / 20) + 1}`, ts: b * S + 300 },
    { word: `u${Math.floor(b / 20)}`, ts: (b - 3) * S },
  ];
}

async function longRun(path: Path, window: 'sliding' | 'session', outputMode: 'update' | 'append') {
  const run = runOn(
    path,
    wordJob(path, {
      pipeline: (words) => {
        const keyed = words.withWatermark((w) => w.ts, { allowedLatenessMs: 5 * S }).keyBy((w) => w.word);
        return (
          window === 'sliding' ? keyed.window(sliding({ sizeMs: 10 * S, slideMs: 2 * S })) : keyed.window(session({ gapMs: 4 * S }))
        ).aggregate(count());
      },
      outputMode,
    }),
  );
  let maxStateRows = 0;
  let maxSessions = 0;
  let emitted = 0;
  let late = 0;
  for (let b = 0; b < BATCHES; b += 1) {
    const batch = await run.batch(eventsOf(b));
    maxStateRows = Math.max(maxStateRows, batch.stateRows);
    emitted += batch.emitted.length;
    late += batch.lateRecords;
    if (window === 'session' && b % 100 === 99) {
      const sessions = [...(await run.t.state()).values()].reduce<number>((n, v) => n + (v as unknown[]).length, 0);
      maxSessions = Math.max(maxSessions, sessions);
    }
  }
  return { maxStateRows, maxSessions, emitted, late, finalState: (await run.t.state()).size };
}

for (const path of PATHS) {
  describe(`a long run, ${path.name}`, () => {
    it(`sliding windows: ${BATCHES} batches, state bounded by the windows the lateness keeps open`, async () => {
      const { maxStateRows, emitted, late } = await longRun(path, 'sliding', 'append');
      // Two users at a time, each with the windows that end after the watermark: about
      // (size + lateness) / slide + 1 of them; 50 users over the run would be 250+ windows each.
      expect(maxStateRows).toBeLessThanOrEqual(2 * 10);
      expect(maxStateRows).toBeGreaterThan(2);
      expect(emitted).toBeGreaterThan(BATCHES);
      expect(late).toBe(0);
    }, 120_000);

    it(`session windows: ${BATCHES} batches, one entry per live user, a few open sessions`, async () => {
      const { maxStateRows, maxSessions, emitted, late } = await longRun(path, 'session', 'update');
      expect(maxStateRows).toBeLessThanOrEqual(3);
      expect(maxSessions).toBeLessThanOrEqual(3);
      expect(maxSessions).toBeGreaterThan(0);
      expect(emitted).toBeGreaterThan(BATCHES);
      expect(late).toBe(0);
    }, 120_000);
  });
}

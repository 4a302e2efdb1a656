import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  idleTimeAfter,
  nextStep,
  periodAfter,
  resolveTrigger,
  shouldPark,
  type DriverTrigger,
  type NextStepInput,
} from '../../../engine/driver/next-step.js';
import { InvalidArgumentError } from '../../../engine/errors.js';

type Interval = Extract<DriverTrigger, { type: 'interval' }>;

const intervalTrigger = fc
  .record({
    intervalMs: fc.integer({ min: 1, max: 120_000 }),
    extra: fc.integer({ min: 0, max: 3_600_000 }),
    factor: fc.double({ min: 1, max: 10, noNaN: true }),
  })
  .map(
    ({ intervalMs, extra, factor }): Interval => ({
      type: 'interval',
      intervalMs,
      maxIdleIntervalMs: intervalMs + extra,
      idleBackoffFactor: factor,
    }),
  );

const base = (trigger: DriverTrigger, over: Partial<NextStepInput> = {}): NextStepInput => ({
  trigger,
  batch: { records: 0, caughtUp: true, resumed: false, noDataBatchDue: false, startedAt: 1_000_000 },
  now: 1_000_050,
  idleStreak: 0,
  budgetLeftMs: 10_000_000,
  handBackAfterMs: 10_000_000,
  parkAfterIdleMs: 0,
  stopRequested: false,
  ...over,
});

describe('nextStep', () => {
  describe("available now: the extra no-data batch (Spark's MicroBatchExecution under Trigger.AvailableNow)", () => {
    const now = { type: 'availableNow' } as const;
    const caughtUp = { records: 40, caughtUp: true, resumed: false, noDataBatchDue: false, startedAt: 0 };

    it('runs one more batch at once when the caught-up batch advanced the watermark, then stops after it', () => {
      expect(nextStep(base(now, { batch: { ...caughtUp, noDataBatchDue: true } }))).toEqual({
        action: 'continue',
        waitMs: 0,
        idleStreak: 0,
      });
      // The extra batch read nothing and did not advance the watermark: nothing more is due.
      expect(nextStep(base(now, { batch: { ...caughtUp, records: 0 } }))).toEqual({ action: 'stop', reason: 'caught-up', idleStreak: 0 });
    });

    it('a resumed batch still never stops the job, due or not; a stop request wins over the extra batch', () => {
      for (const noDataBatchDue of [false, true]) {
        expect(nextStep(base(now, { batch: { ...caughtUp, resumed: true, noDataBatchDue } }))).toMatchObject({
          action: 'continue',
          waitMs: 0,
        });
      }
      expect(nextStep(base(now, { stopRequested: true, batch: { ...caughtUp, noDataBatchDue: true } }))).toMatchObject({
        action: 'stop',
        reason: 'stopped',
      });
    });

    it('hands back to the parent like any batch when the child has no budget left', () => {
      expect(nextStep(base(now, { budgetLeftMs: -1, batch: { ...caughtUp, noDataBatchDue: true } }))).toEqual({
        action: 'handBack',
        waitMs: 0,
        idleStreak: 0,
      });
    });

    it('changes nothing for interval triggers: their next batch comes anyway', () => {
      fc.assert(
        fc.property(intervalTrigger, fc.nat(100), fc.nat(5), fc.boolean(), (trigger, records, idleStreak, caught) => {
          const batch = { records, caughtUp: caught, resumed: false, startedAt: 1_000_000 };
          const input = (noDataBatchDue: boolean) => base(trigger, { idleStreak, batch: { ...batch, noDataBatchDue } });
          expect(nextStep(input(true))).toEqual(nextStep(input(false)));
        }),
      );
    });
  });

  it('never waits longer than the idle cap, nor less than nothing', () => {
    fc.assert(
      fc.property(
        intervalTrigger,
        fc.nat(200),
        fc.nat(10_000),
        fc.integer({ min: -5_000_000, max: 5_000_000 }),
        fc.nat(5),
        (trigger, streak, records, elapsed, _) => {
          const step = nextStep(
            base(trigger, {
              idleStreak: streak,
              batch: { records, caughtUp: true, resumed: false, noDataBatchDue: false, startedAt: 1_000_000 },
              now: 1_000_000 + elapsed,
            }),
          );
          expect(step.action).not.toBe('stop');
          if (step.action === 'stop') return;
          expect(step.waitMs).toBeGreaterThanOrEqual(0);
          expect(step.waitMs).toBeLessThanOrEqual(trigger.maxIdleIntervalMs);
        },
      ),
    );
  });

  it('waits longer with every empty batch in a row, until the cap', () => {
    fc.assert(
      fc.property(intervalTrigger, fc.integer({ min: 2, max: 30 }), fc.nat(1_000), (trigger, batches, elapsed) => {
        let idleStreak = 0;
        let previous = -1;
        for (let i = 0; i < batches; i += 1) {
          const step = nextStep(base(trigger, { idleStreak, now: 1_000_000 + elapsed }));
          if (step.action === 'stop') throw new Error('an interval trigger never stops by itself');
          expect(step.idleStreak).toBe(idleStreak + 1);
          expect(step.waitMs).toBeGreaterThanOrEqual(previous);
          // The period never shrinks, and grows strictly until the cap whenever the factor moves the
          // unrounded period by a whole millisecond (then its ceiling must move too).
          const [before, after] = [periodAfter(trigger, idleStreak), periodAfter(trigger, idleStreak + 1)];
          const unrounded = (streak: number) => trigger.intervalMs * trigger.idleBackoffFactor ** streak;
          expect(after).toBeGreaterThanOrEqual(before);
          if (before < trigger.maxIdleIntervalMs && unrounded(idleStreak + 1) >= unrounded(idleStreak) + 1)
            expect(after).toBeGreaterThan(before);
          expect(after).toBeLessThanOrEqual(trigger.maxIdleIntervalMs);
          previous = step.waitMs;
          idleStreak = step.idleStreak;
        }
      }),
    );
  });

  it('resets to the trigger interval as soon as a batch reads records', () => {
    fc.assert(
      fc.property(intervalTrigger, fc.nat(1_000), fc.integer({ min: 1, max: 100_000 }), (trigger, streak, records) => {
        const step = nextStep(
          base(trigger, {
            idleStreak: streak,
            batch: { records, caughtUp: false, resumed: false, noDataBatchDue: false, startedAt: 1_000_000 },
            now: 1_000_000,
          }),
        );
        if (step.action === 'stop') throw new Error('unexpected stop');
        expect(step.idleStreak).toBe(0);
        expect(step.waitMs).toBe(trigger.intervalMs);
      }),
    );
  });

  it('counts the batch time against the interval: a slow batch starts the next one at once', () => {
    const trigger: Interval = { type: 'interval', intervalMs: 1_000, maxIdleIntervalMs: 60_000, idleBackoffFactor: 2 };
    const data = { records: 10, caughtUp: true, resumed: false, noDataBatchDue: false, startedAt: 0 };
    expect(nextStep(base(trigger, { batch: data, now: 300 }))).toEqual({ action: 'continue', waitMs: 700, idleStreak: 0 });
    expect(nextStep(base(trigger, { batch: data, now: 1_500 }))).toEqual({ action: 'continue', waitMs: 0, idleStreak: 0 });
    expect(periodAfter(trigger, 3)).toBe(8_000);
    expect(periodAfter(trigger, 500)).toBe(60_000);
  });

  it('hands a long wait back to the parent, and everything once the child budget is spent', () => {
    const trigger: Interval = { type: 'interval', intervalMs: 1_000, maxIdleIntervalMs: 600_000, idleBackoffFactor: 2 };
    const idle = (idleStreak: number, budgetLeftMs: number) =>
      nextStep(base(trigger, { idleStreak, now: 1_000_000, budgetLeftMs, handBackAfterMs: 120_000 }));
    expect(idle(0, 200_000)).toMatchObject({ action: 'continue', waitMs: 2_000 });
    expect(idle(5, 200_000)).toMatchObject({ action: 'continue', waitMs: 64_000 });
    expect(idle(6, 200_000)).toMatchObject({ action: 'handBack', waitMs: 128_000 });
    expect(idle(0, 1_500)).toMatchObject({ action: 'handBack', waitMs: 2_000 });
    const availableNow = nextStep(
      base(
        { type: 'availableNow' },
        { batch: { records: 5, caughtUp: false, resumed: false, noDataBatchDue: false, startedAt: 0 }, budgetLeftMs: -1 },
      ),
    );
    expect(availableNow).toEqual({ action: 'handBack', waitMs: 0, idleStreak: 0 });
  });

  it('stops on request whatever the trigger, and an available-now job once a fresh batch caught up', () => {
    fc.assert(
      fc.property(fc.oneof(intervalTrigger, fc.constant<DriverTrigger>({ type: 'availableNow' })), fc.nat(100), (trigger, records) => {
        expect(
          nextStep(
            base(trigger, {
              stopRequested: true,
              batch: { records, caughtUp: false, resumed: false, noDataBatchDue: false, startedAt: 0 },
            }),
          ),
        ).toMatchObject({
          action: 'stop',
          reason: 'stopped',
        });
      }),
    );
    const now = { type: 'availableNow' } as const;
    expect(nextStep(base(now))).toMatchObject({ action: 'stop', reason: 'caught-up' });
    // A resumed batch read an old range: the source may hold more.
    expect(
      nextStep(base(now, { batch: { records: 0, caughtUp: true, resumed: true, noDataBatchDue: false, startedAt: 0 } })),
    ).toMatchObject({
      action: 'continue',
      waitMs: 0,
    });
    expect(
      nextStep(base(now, { batch: { records: 9, caughtUp: false, resumed: false, noDataBatchDue: false, startedAt: 0 } })),
    ).toMatchObject({
      action: 'continue',
      waitMs: 0,
    });
  });
});

describe('resolveTrigger', () => {
  const settings = { maxIdleIntervalMs: 60_000, idleBackoffFactor: 2 };

  it("takes the instance's trigger over the job's, and the default idle cap unless it sets one", () => {
    expect(resolveTrigger({ type: 'availableNow' }, { type: 'interval', intervalMs: 1_000 }, settings)).toEqual({
      type: 'interval',
      intervalMs: 1_000,
      maxIdleIntervalMs: 60_000,
      idleBackoffFactor: 2,
    });
    expect(resolveTrigger({ type: 'interval', intervalMs: 90_000 }, undefined, settings)).toMatchObject({ maxIdleIntervalMs: 90_000 });
    expect(
      resolveTrigger({ type: 'interval', intervalMs: 1_000 }, { type: 'interval', intervalMs: 10, maxIdleIntervalMs: 500 }, settings),
    ).toMatchObject({
      intervalMs: 10,
      maxIdleIntervalMs: 500,
    });
  });

  it('rejects a bad trigger with the field named', () => {
    const bad = (t: unknown) => () => resolveTrigger({ type: 'availableNow' }, t as never, settings);
    expect(bad({ type: 'cron' })).toThrow(/trigger.type must be "interval" or "availableNow"/);
    expect(bad({ type: 'interval', intervalMs: 0 })).toThrow(InvalidArgumentError);
    expect(bad({ type: 'interval', intervalMs: 1_000, maxIdleIntervalMs: 10 })).toThrow(
      /maxIdleIntervalMs must be an integer ≥ trigger.intervalMs/,
    );
  });
});

describe('parking past the idle backoff', () => {
  const trigger: Interval = { type: 'interval', intervalMs: 10_000, maxIdleIntervalMs: 60_000, idleBackoffFactor: 2 };
  const empty = { records: 0, caughtUp: true, resumed: false, noDataBatchDue: false, startedAt: 1_000_000 };

  it('sums the periods of the idle streak: 20 + 40 + 60 + 60 s after four empty batches', () => {
    expect(idleTimeAfter(trigger, 0)).toBe(0);
    expect(idleTimeAfter(trigger, 4)).toBe(180_000);
    expect(idleTimeAfter(trigger, 1_000)).toBe(20_000 + 40_000 + 998 * 60_000);
  });

  it('parks on the empty batch whose streak spans parkAfterIdleMs, and not one batch before', () => {
    // 20 + 40 + 60 + 60 + 60 = 240 s after 5 empty batches; 300 s after 6.
    const decide = (idleStreak: number) => nextStep(base(trigger, { idleStreak, parkAfterIdleMs: 300_000 }));
    expect(decide(4)).toMatchObject({ action: 'continue', idleStreak: 5 });
    expect(decide(5)).toEqual({ action: 'park', waitMs: 0, idleStreak: 6 });
  });

  it('never parks a batch with records, a resumed batch, a batch that left the tail unread or an extra batch due', () => {
    for (const batch of [
      { ...empty, records: 1 },
      { ...empty, resumed: true },
      { ...empty, caughtUp: false },
      { ...empty, noDataBatchDue: true },
    ]) {
      expect(shouldPark(trigger, 1_000, batch, 1)).toBe(false);
      expect(nextStep(base(trigger, { batch, idleStreak: 1_000, parkAfterIdleMs: 1 })).action).not.toBe('park');
    }
  });

  it('never parks with parking off (0), an available-now job, or when a stop is requested', () => {
    expect(nextStep(base(trigger, { idleStreak: 1_000, parkAfterIdleMs: 0 })).action).toBe('continue');
    expect(nextStep(base({ type: 'availableNow' }, { idleStreak: 1_000, parkAfterIdleMs: 1 })).action).toBe('stop');
    expect(nextStep(base(trigger, { idleStreak: 1_000, parkAfterIdleMs: 1, stopRequested: true }))).toMatchObject({
      action: 'stop',
      reason: 'stopped',
    });
  });
});

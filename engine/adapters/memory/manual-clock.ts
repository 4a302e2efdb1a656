import type { Clock } from '../../ports/clock.js';

/** A clock that moves only when told: sleep() advances it at once. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot move a clock back (${ms} ms)`);
    this.current += ms;
  }
}

/**
 * Values a start request's schema would take but that name no time are 400s naming the
 * field (engine/api/requests.ts, engine/timestamps.ts): epoch milliseconds outside
 * [0, 8.64e15], impossible calendar dates, ISO times without a zone or before 1970.
 */
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../engine/api/errors.js';
import { parseStartJob } from '../../../engine/api/requests.js';
import { ENGINE_PARAMETERS, resolveJob } from '../../../engine/driver/catalog.js';
import { JobSpecError } from '../../../engine/errors.js';
import { isEpochMs, MAX_EPOCH_MS, parseIsoTime } from '../../../engine/timestamps.js';
import { catalog } from '../../../jobs/catalog.js';

const FIELD = 'startingPosition.timestamp';
const MUST = 'must be an ISO 8601 time (2026-01-31T12:00:00Z) or epoch milliseconds';

function refusal(timestamp: unknown): BadRequestError {
  try {
    parseStartJob({ jobName: 'page-views', startingPosition: { type: 'timestamp', timestamp } });
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return error as BadRequestError;
  }
  throw new Error(`${JSON.stringify(timestamp)} was accepted`);
}

describe('a start request’s timestamp', () => {
  it.each([
    [-1, `${FIELD} must be an integer from 0 to 8640000000000000, got -1`],
    [MAX_EPOCH_MS + 1, `${FIELD} must be an integer from 0 to 8640000000000000, got 8640000000000001`],
    ['2026-02-30T00:00:00Z', `${FIELD} ${MUST}: "2026-02-30T00:00:00Z" has day 30 of 2026-02, which has 28 days`],
    ['2026-02-29T12:00:00Z', `${FIELD} ${MUST}: "2026-02-29T12:00:00Z" has day 29 of 2026-02, which has 28 days`],
    ['2026-04-31T00:00:00Z', `${FIELD} ${MUST}: "2026-04-31T00:00:00Z" has day 31 of 2026-04, which has 30 days`],
    ['2026-13-01T00:00:00Z', `${FIELD} ${MUST}: "2026-13-01T00:00:00Z" has month 13: a month is 01 to 12`],
    ['2026-01-31T24:00:00Z', `${FIELD} ${MUST}: "2026-01-31T24:00:00Z" has no such time of day: 24:00:00`],
    ['2026-01-31T12:00:60Z', `${FIELD} ${MUST}: "2026-01-31T12:00:60Z" has no such time of day: 12:00:60`],
    ['2026-01-31T12:00:00+25:00', `${FIELD} ${MUST}: "2026-01-31T12:00:00+25:00" has no such zone offset: +25:00`],
    [
      '2026-01-31T12:00:00',
      `${FIELD} ${MUST}: "2026-01-31T12:00:00" is not an ISO 8601 time with a zone (2026-01-31T12:00:00Z, or ±hh:mm for the zone)`,
    ],
    ['1969-12-31T23:59:59Z', `${FIELD} ${MUST}: "1969-12-31T23:59:59Z" is before 1970-01-01T00:00:00Z (epoch milliseconds start there)`],
  ])('refuses %j with a 400 that says why', (timestamp, message) => {
    const error = refusal(timestamp);
    expect(error.status).toBe(400);
    expect(error.message).toBe(message);
    expect(error.fields).toEqual([{ field: FIELD, message: message.slice(FIELD.length + 1) }]);
  });

  it.each([
    [0, 0],
    [MAX_EPOCH_MS, MAX_EPOCH_MS],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['2026-01-31T12:00:00.250+02:00', Date.UTC(2026, 0, 31, 10, 0, 0, 250)],
    ['2026-12-31T23:59z', Date.UTC(2026, 11, 31, 23, 59)],
  ])('takes %j as %d epoch ms', (timestamp, ms) => {
    expect(parseStartJob({ jobName: 'page-views', startingPosition: { type: 'timestamp', timestamp } }).startingPosition).toEqual({
      type: 'timestamp',
      timestamp: ms,
    });
  });
});

describe('timestamps', () => {
  it('isEpochMs: integers from 0 to 8.64e15 only', () => {
    expect([0, 1, MAX_EPOCH_MS].every(isEpochMs)).toBe(true);
    expect([-1, MAX_EPOCH_MS + 1, 1.5, Number.NaN, '5', null].some(isEpochMs)).toBe(false);
  });

  it('parseIsoTime: 1900 is not a leap year, 2000 is', () => {
    expect(parseIsoTime('1900-02-29T00:00:00Z')).toEqual({ problem: 'has day 29 of 1900-02, which has 28 days' });
    expect(parseIsoTime('2000-02-29T00:00:00Z')).toEqual({ ms: Date.UTC(2000, 1, 29) });
  });

  it("the engine's startingPosition parameter refuses epoch ms past 8.64e15 (JobSpecError)", () => {
    const resolve = (timestamp: number) => resolveJob(catalog, 'page-views', { [ENGINE_PARAMETERS.startingPosition]: { timestamp } });
    expect(resolve(MAX_EPOCH_MS).source.startingPosition).toEqual({ timestamp: MAX_EPOCH_MS });
    expect(() => resolve(MAX_EPOCH_MS + 1)).toThrow(JobSpecError);
    expect(() => resolve(MAX_EPOCH_MS + 1)).toThrow(/an integer from 0 to 8640000000000000 \(epoch milliseconds\)/);
  });
});

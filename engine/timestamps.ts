/**
 * Times as requests and job definitions give them: epoch milliseconds, or an ISO 8601
 * date-time. A value a schema would let through but that names no time is refused:
 *
 *   - epoch milliseconds outside [0, MAX_EPOCH_MS]: a source position before 1970 means
 *     nothing, and a JS Date holds nothing past ±8.64e15 ms;
 *   - an ISO time whose fields are not a calendar time (2026-02-30, month 13, 24:00,
 *     second 60): JavaScript's Date.parse rolls 2026-02-30 over to March 2, so such a
 *     string is refused instead of being read as another day;
 *   - an ISO time without a zone (Z or ±hh:mm): it would be read in the local zone of
 *     whichever machine parses it.
 */

/** The last millisecond a JS Date holds: 8.64e15 ms (100,000,000 days) after the epoch. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;

/** What an epoch time must be, for messages. */
export const EPOCH_MS_HINT = `an integer from 0 to ${MAX_EPOCH_MS} (epoch milliseconds)`;

/** An ISO 8601 date-time with a zone: 2026-01-31T12:00:00Z, 2026-01-31T12:00:00.250+02:00 (a year of 4 digits). */
const ISO_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d{1,9})?)?(Z|([+-])(\d\d):(\d\d))$/i;

/** True for an integer of epoch milliseconds from 0 to MAX_EPOCH_MS. */
export function isEpochMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_EPOCH_MS;
}

/**
 * The epoch milliseconds of an ISO 8601 date-time, or why it names no time: a shape other
 * than ISO_TIME, a field out of its calendar range, or a time before 1970.
 */
export function parseIsoTime(text: string): { readonly ms: number } | { readonly problem: string } {
  const m = ISO_TIME.exec(text);
  if (m === null) {
    return { problem: 'is not an ISO 8601 time with a zone (2026-01-31T12:00:00Z, or ±hh:mm for the zone)' };
  }
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return { problem: `has month ${m[2]}: a month is 01 to 12` };
  const days = daysIn(year, month);
  if (day < 1 || day > days) return { problem: `has day ${m[3]} of ${m[1]}-${m[2]}, which has ${days} days` };
  if (hour > 23 || minute > 59 || second > 59) return { problem: `has no such time of day: ${m[4]}:${m[5]}${m[6] ? `:${m[6]}` : ''}` };
  if (m[8] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return { problem: `has no such zone offset: ${m[7]}` };
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return { problem: 'is not a time JavaScript can read' };
  if (ms < 0) return { problem: 'is before 1970-01-01T00:00:00Z (epoch milliseconds start there)' };
  return { ms };
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

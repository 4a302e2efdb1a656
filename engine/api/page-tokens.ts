/**
 * The jobs API's page tokens: opaque base64url JSON of the job (`j`) and where the next
 * page begins, so a token of one job's (or one list's) pages is refused on another's.
 */
import type { JsonValue } from '../json.js';
import { decodeDeadLetterCursor } from '../ports/dead-letter-order.js';
import { BadRequestError } from './errors.js';

/** An opaque page token: base64url JSON of the job (`j`) and where the next page begins. */
export function encodePageToken(jobId: string, position: Readonly<Record<string, JsonValue>>): string {
  return Buffer.from(JSON.stringify({ j: jobId, ...position })).toString('base64url');
}

/** Where the next page begins, read by `read` (null: not a token of `what`) from a token this API returned for the job; a 400 otherwise. */
export function decodePageToken<T>(
  token: string,
  jobId: string,
  what: string,
  read: (t: Readonly<Record<string, unknown>>) => T | null,
): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const t = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  const position = t === null || typeof t.j !== 'string' ? null : read(t);
  if (t === null || position === null) {
    throw BadRequestError.of([
      { field: 'nextToken', message: 'is not a token this API returned (pass the nextToken of the previous page as it is)' },
    ]);
  }
  if (t.j !== jobId)
    throw BadRequestError.of([{ field: 'nextToken', message: `is a token of job ${String(t.j)}'s ${what}, not of job ${jobId}'s` }]);
  return position;
}

/** The batch id the next page ends before. */
export function decodeBatchToken(token: string, jobId: string): number {
  return decodePageToken(token, jobId, 'batches', (t) => (typeof t.b === 'number' && Number.isSafeInteger(t.b) && t.b >= 2 ? t.b : null));
}

/** The dead-letter queue's cursor (`next` of the page before) the next page begins at; the token must be of the same partition filter. */
export function decodeDeadLetterToken(token: string, jobId: string, partition: string | null): string {
  const position = decodePageToken(token, jobId, 'dead letters', (t) => {
    const p = t.p === null || typeof t.p === 'string' ? t.p : undefined;
    // A cursor names a table sort key: a forged one is refused here, not by the table with a 500.
    const a = typeof t.a === 'string' ? t.a : undefined;
    if (p === undefined || a === undefined || decodeDeadLetterCursor(a, p ?? undefined) === null) return null;
    return { partition: p, after: a };
  });
  if (position.partition !== partition) {
    const of = (p: string | null) => (p === null ? 'every partition' : `partition ${p}`);
    throw BadRequestError.of([
      {
        field: 'nextToken',
        message: `is a token of the dead letters of ${of(position.partition)}, not of ${of(partition)} (ask with the partition of the previous page)`,
      },
    ]);
  }
  return position.after;
}

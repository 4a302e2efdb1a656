/**
 * The layout of a job's dead letters that every DeadLetterQueue adapter keeps: bundles,
 * not one item per letter. What the adapters share: how a put becomes bundles, and how a
 * page is read back from bundles in key order.
 *
 * A put's letters are grouped by partition, put in position order (dead-letter-order.ts)
 * and cut into bundles whose encoded size (the adapter's: gzip for DynamoDB) stays under
 * the adapter's limit. A bundle's key is a function of its letters alone:
 *
 *   <partition>#<first letter's offset>#<last letter's offset>#<digest of its letter ids>
 *
 * (offsets length-prefixed, so keys sort in offset order). Hence:
 *
 * - Idempotent: a re-run, zombie or replayed batch that writes the same letters writes the
 *   same keys, and a key is only ever overwritten by a bundle of exactly the same letters:
 *   nothing written before is lost by a rewrite.
 * - Overlap: a replay with other batch boundaries writes bundles that overlap the old
 *   ones. Reading merges by `deadLetterId`: each letter once, the copy recorded last
 *   (`recordedAt`; on a tie, the one in the bundle later in key order).
 * - Order: every letter of a bundle sorts at or after its key's `<partition>#<first
 *   offset>` (its low bound). Reading bundles in key order, once a bundle with low bound b
 *   is reached, no bundle still unread holds a letter before b: those letters are final
 *   and can be paged in order.
 * - Paging: a page's cursor holds the position of its last letter and the key of the first
 *   bundle read that may still hold letters after it; the next page reads from that key on.
 *   A bundle written after the cursor was made with a key before it (a replay overlapping
 *   a page being read) is not seen by that paging; a new paging from the start sees it.
 */
import { InvalidArgumentError } from '../errors.js';
import { deadLetterId, deadLetterPartitionPrefix, type DeadLetter, type DeadLetterPage } from './dead-letter-queue.js';
import { compareText, deadLetterPosition, encodeDeadLetterCursor, orderedOffset, shortDigest } from './dead-letter-order.js';

/** A stored bundle as an adapter reads it: its key, and its letters (decoded only when asked). */
export interface StoredBundle {
  readonly key: string;
  letters(): DeadLetter[] | Promise<DeadLetter[]>;
}

/** A bundle to store: its key, its letters in position order, and what the adapter encoded them to. */
export interface NewBundle<E> {
  readonly key: string;
  readonly letters: readonly DeadLetter[];
  readonly encoded: E;
}

/** How an adapter encodes a bundle, and the most bytes one may take. */
export interface BundleEncoding<E> {
  encode(letters: readonly DeadLetter[]): E;
  sizeOf(encoded: E): number;
  readonly maxBytes: number;
}

/**
 * A put's letters as bundles: one letter per id (the last given wins), per partition in
 * position order, cut into as few even parts as keep each under `maxBytes` encoded.
 */
export function bundleDeadLetters<E>(letters: readonly DeadLetter[], encoding: BundleEncoding<E>): NewBundle<E>[] {
  const byId = new Map<string, DeadLetter>();
  for (const letter of letters) byId.set(`${letter.jobId}\u0000${deadLetterId(letter)}`, letter);
  const groups = new Map<string, { position: string; letter: DeadLetter }[]>();
  for (const letter of byId.values()) {
    const group = `${letter.jobId}\u0000${letter.partition}`;
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push({ position: deadLetterPosition(letter), letter });
  }
  return [...groups.values()].flatMap((group) =>
    split(
      group.sort((a, b) => compareText(a.position, b.position)).map((g) => g.letter),
      encoding,
    ),
  );
}

function split<E>(letters: readonly DeadLetter[], encoding: BundleEncoding<E>): NewBundle<E>[] {
  const encoded = encoding.encode(letters);
  const size = encoding.sizeOf(encoded);
  if (size <= encoding.maxBytes) return [{ key: bundleKey(letters), letters, encoded }];
  if (letters.length === 1) {
    const letter = letters[0]!;
    throw new InvalidArgumentError(
      `the dead letter of ${letter.partition}@${letter.offset} takes ${size} bytes encoded, over the ${encoding.maxBytes}-byte limit of a bundle`,
      { context: { jobId: letter.jobId, partition: letter.partition, offset: letter.offset } },
    );
  }
  // As many even parts as the size asks for (at least two), each split again if still over.
  const parts = Math.min(letters.length, Math.max(2, Math.ceil(size / encoding.maxBytes)));
  const per = Math.ceil(letters.length / parts);
  const bundles: NewBundle<E>[] = [];
  for (let i = 0; i < letters.length; i += per) bundles.push(...split(letters.slice(i, i + per), encoding));
  return bundles;
}

/** The key of a bundle of one partition's letters, in position order (see the header). */
function bundleKey(letters: readonly DeadLetter[]): string {
  const first = letters[0]!;
  const last = letters[letters.length - 1]!;
  const ids = letters.map(deadLetterId).join('\n');
  return `${deadLetterPartitionPrefix(first.partition)}${orderedOffset(first.offset)}#${orderedOffset(last.offset)}#${shortDigest(ids)}`;
}

/** The positions every letter of the bundle with this key lies between: [low, high). */
function boundsOf(key: string): { low: string; high: string } {
  const digestAt = key.lastIndexOf('#');
  const lastAt = key.lastIndexOf('#', digestAt - 1);
  const firstAt = key.lastIndexOf('#', lastAt - 1);
  const prefix = key.slice(0, firstAt + 1);
  // A position at the last offset is that offset's text, or it followed by `#row#...`.
  return { low: key.slice(0, lastAt), high: `${prefix}${key.slice(lastAt + 1, digestAt)}#\uffff` };
}

interface Candidate {
  readonly id: string;
  readonly position: string;
  readonly letter: DeadLetter;
}

/**
 * A page of letters from bundles given in key order (those of one job, from the cursor's
 * bundle key on, of one partition when the page is): letters after `after` (a position),
 * each once, in position order, at most `limit` (Infinity: all of them).
 */
export async function pageFromBundles(
  bundles: AsyncIterable<StoredBundle>,
  options: { readonly limit: number; readonly after?: string },
): Promise<DeadLetterPage> {
  const { limit, after } = options;
  const pending = new Map<string, Candidate>();
  const ready: Candidate[] = [];
  const read: { key: string; high: string }[] = [];
  // Letters before `bound` can no longer come from a bundle still unread: page them.
  const settle = (bound: string | null) => {
    const final = [...pending.values()].filter((c) => bound === null || c.position < bound);
    for (const c of final) pending.delete(c.id);
    ready.push(...final.sort((a, b) => compareText(a.position, b.position)));
  };
  for await (const bundle of bundles) {
    const { low, high } = boundsOf(bundle.key);
    settle(low);
    read.push({ key: bundle.key, high });
    // One letter more than the page: whether another page follows (no empty last page).
    if (ready.length > limit) break;
    for (const letter of await bundle.letters()) {
      const position = deadLetterPosition(letter);
      if (after !== undefined && position <= after) continue;
      const id = deadLetterId(letter);
      const held = pending.get(id);
      if (held === undefined || letter.recordedAt >= held.letter.recordedAt) pending.set(id, { id, position, letter });
    }
  }
  if (ready.length <= limit) settle(null);
  const page = ready.slice(0, limit);
  if (ready.length <= limit) return { letters: page.map((c) => c.letter), next: null };
  const last = page[page.length - 1]!.position;
  // The first bundle read that may hold a letter after the page's last: one holds the letter after it.
  const from = read.find((r) => r.high > last)!.key;
  return { letters: page.map((c) => c.letter), next: encodeDeadLetterCursor({ from, after: last }) };
}

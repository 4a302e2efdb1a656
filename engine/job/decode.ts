import type { SourceRecord } from '../ports/source-reader.js';
import { requireFunction, show, specError } from './spec-checks.js';

/**
 * How a record's bytes become the pipeline's input values:
 * - 'json' (default): UTF-8 JSON, typed `any` (see DecodeName)
 * - 'utf8': the UTF-8 text, a string
 * - a function of the whole record (key, partition, offset, arrival time, bytes)
 * Bytes that are not valid UTF-8, text that is not JSON, or a throwing function make the
 * record a failure of stage 'decode'.
 */
export type Decode = 'json' | 'utf8' | ((record: SourceRecord) => unknown);

/**
 * The named decoders; a decode function is the other option. The pipeline's input type
 * follows from `decode` (see JobSpec): 'utf8' gives string, a function what it returns,
 * and 'json' gives `any`, so that a job reads like its data (`e.type === 'view'`)
 * without a cast on every line. `unknown` would force a cast or a guard before the first
 * property access, and JsonValue is a union that needs narrowing just the same. For a
 * checked type, decode with a function that returns it, or annotate the pipeline's
 * parameter (`pipeline: (events: Stream<Click>) => ...`).
 */
export type DecodeName = 'json' | 'utf8';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface Decoder {
  readonly fn: (record: SourceRecord) => unknown;
  /** For the pipeline's description. */
  readonly name: string;
}

export function compileDecode(decode: unknown): Decoder {
  if (decode === undefined || decode === 'json') {
    return { fn: (record) => JSON.parse(utf8.decode(record.data)) as unknown, name: 'json' };
  }
  if (decode === 'utf8') return { fn: (record) => utf8.decode(record.data), name: 'utf8' };
  if (typeof decode === 'function') return { fn: requireFunction('decode', decode) as (record: SourceRecord) => unknown, name: 'custom' };
  throw specError('decode', `must be 'json', 'utf8' or a function of the record, got ${show(decode)}`);
}

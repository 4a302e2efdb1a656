/**
 * The input of `sluice produce`: JSON Lines, one record a line, checked whole before
 * anything is written. A line that is not JSON, or (with a key field) a record without a
 * usable key, refuses the whole input with its line number: nothing is half written.
 *
 * Each record's data is its line as given (without surrounding whitespace), so the job
 * decodes exactly what the file holds. Its key (the Kinesis partition key, the Kafka
 * message key) is the value of the key field, a string or a number as text; without a
 * key field it is the line's number, which spreads the records over the shards or
 * partitions. Empty lines are skipped.
 */

export interface ProducedRecord {
  /** The line it came from (1-based), for messages. */
  readonly line: number;
  readonly key: string;
  readonly data: string;
}

/** The input was refused: nothing was written. */
export class InputError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'InputError';
  }
}

/** A Kinesis partition key is 1 to 256 characters. */
const MAX_KEY_CHARACTERS = 256;

export function parseJsonLines(text: string, keyField: string | null): ProducedRecord[] {
  const records: ProducedRecord[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const data = raw.trim();
    if (data === '') return;
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (error) {
      throw new InputError(line, `not JSON (${(error as Error).message}): ${cut(data)}`);
    }
    records.push({ line, key: keyField === null ? String(line) : keyOf(value, keyField, line), data });
  });
  return records;
}

function keyOf(value: unknown, field: string, line: number): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(line, `--key-field ${field} needs a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const key = (value as Record<string, unknown>)[field];
  if (key === undefined) throw new InputError(line, `has no field ${field} (--key-field)`);
  if (typeof key !== 'string' && typeof key !== 'number') {
    throw new InputError(line, `field ${field} must be a string or a number to be a key, got ${key === null ? 'null' : typeof key}`);
  }
  const text = String(key);
  if (text.length < 1 || text.length > MAX_KEY_CHARACTERS) {
    throw new InputError(line, `field ${field} must be 1 to ${MAX_KEY_CHARACTERS} characters as a key, got ${text.length}`);
  }
  return text;
}

function cut(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 59)}…`;
}

import { InvalidArgumentError } from '../../errors.js';
import {
  mayReplace,
  reservedFieldOf,
  type Sink,
  type SinkPage,
  type SinkReadRequest,
  type SinkWrite,
  type StoredRow,
} from '../../ports/sink.js';

/**
 * The idempotent sink in memory: same rule as DynamoDbSink (a row is replaced only by a
 * write whose (generation, batch) is not older than its own).
 */
export class MemorySink implements Sink {
  private readonly rows = new Map<string, StoredRow>();

  async write(request: SinkWrite): Promise<{ written: number; skipped: number }> {
    for (const row of request.rows) {
      const reserved = reservedFieldOf(row);
      if (reserved !== undefined) {
        throw new InvalidArgumentError(`sink row ${JSON.stringify(row.key)} uses the reserved attribute name ${reserved}`, {
          context: { jobId: request.jobId, batchId: request.batchId, partition: request.partition, key: row.key },
        });
      }
    }
    let written = 0;
    let skipped = 0;
    const { batchId, generation } = request;
    for (const row of request.rows) {
      const stored = this.rows.get(row.key);
      if (stored !== undefined && !mayReplace(stored, { generation, batchId })) {
        skipped += 1;
        continue;
      }
      this.rows.set(row.key, structuredClone({ key: row.key, value: row.value, batchId, generation }));
      written += 1;
    }
    return { written, skipped };
  }

  async get(key: string): Promise<StoredRow | null> {
    const row = this.rows.get(key);
    return row === undefined ? null : structuredClone(row);
  }

  async scan(): Promise<StoredRow[]> {
    return [...this.rows.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((r) => structuredClone(r));
  }

  /** A page in key order; the position is the last row's key. */
  async readPage(request: SinkReadRequest): Promise<SinkPage> {
    const after = request.after;
    const rest = (await this.scan()).filter((r) => after === null || r.key > after);
    const rows = rest.slice(0, request.limit);
    return { rows, next: rest.length > rows.length ? rows[rows.length - 1]!.key : null };
  }
}

/**
 * Watches the latency job's sink table: scans it every `pollMs` and turns each row's new
 * count into the time its records became visible. A row of key k holding count c at a
 * scan makes records 1..c of k visible by the end of that scan (records of a key are
 * processed in order: one key, one shard). So a record's visible time is the end of the
 * first scan that shows it, late by at most one poll interval plus one scan: the
 * resolution the report prints. Every row seen is checked: count = highest sequence
 * number (no record counted twice or lost), newest = the production time of record c,
 * and a count never goes back.
 */
import type { Sink } from '../../engine/ports/sink.js';
import type { LatencyRow } from './latency-job.js';

export class SinkWatcher {
  /** Event arrival (production time) to sink row visible, ms, one per record seen. */
  readonly latenciesMs: number[] = [];
  /** Milliseconds each scan took. */
  readonly scanMs: number[] = [];
  readonly problems: string[] = [];
  private readonly seen = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly sink: Sink,
    private readonly producedAt: ReadonlyMap<string, readonly number[]>,
    private readonly pollMs: number,
  ) {}

  /** Records visible in the sink so far (the sum of the counts seen). */
  get visible(): number {
    let total = 0;
    for (const c of this.seen.values()) total += c;
    return total;
  }

  /** The count each key's row showed last. */
  counts(): ReadonlyMap<string, number> {
    return this.seen;
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.scanOnce();
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      }
    })();
  }

  /** Stops polling after one last scan. */
  async stop(): Promise<void> {
    await this.halt();
    await this.scanOnce();
  }

  /** Stops polling (the scan in flight ends first). */
  async halt(): Promise<void> {
    this.running = false;
    await this.loop?.catch(() => {});
  }

  async scanOnce(): Promise<void> {
    const started = Date.now();
    const rows = await this.sink.scan();
    const at = Date.now();
    this.scanMs.push(at - started);
    for (const row of rows) this.observe(row.key, row.value as unknown as LatencyRow, at);
  }

  private observe(key: string, row: LatencyRow, at: number): void {
    const before = this.seen.get(key) ?? 0;
    const times = this.producedAt.get(key) ?? [];
    if (row.count !== row.seq) this.problem(`${key}: count ${row.count} but highest sequence number ${row.seq}`);
    if (row.count < before) this.problem(`${key}: count went back from ${before} to ${row.count}`);
    if (row.count <= before) return;
    if (row.count > times.length) {
      this.problem(`${key}: count ${row.count} but ${times.length} records sent`);
      return;
    }
    if (row.newest !== times[row.count - 1])
      this.problem(`${key}: newest ${row.newest}, record ${row.count} was produced at ${times[row.count - 1]}`);
    for (let s = before + 1; s <= row.count; s += 1) this.latenciesMs.push(at - times[s - 1]!);
    this.seen.set(key, row.count);
  }

  private problem(message: string): void {
    if (!this.problems.includes(message)) this.problems.push(message);
  }
}

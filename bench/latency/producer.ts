/**
 * A producer at a fixed rate: record i (0-based) is due at `i / rate` seconds after the
 * start and carries that due time as its production time, whether or not the producer
 * managed to send it then. Stamping the schedule, not the send, keeps a producer that
 * falls behind from hiding latency (coordinated omission): a late send is latency too.
 * Keys are used round-robin, and each key numbers its records 1, 2, 3...
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { putAllRecords } from '../../engine/adapters/aws/index.js';
import type { LatencyRecord } from './latency-job.js';

export interface ProducerOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** Records per second. */
  readonly rate: number;
  readonly keys: number;
  /** How often the producer wakes to send what is due (default 20 ms). */
  readonly tickMs?: number;
}

export class FixedRateProducer {
  /** Records the stream acknowledged. */
  produced = 0;
  /** When run() started (epoch ms), or null before. */
  private startedAt: number | null = null;
  private total = 0;
  /** Production time (epoch ms) of each key's records sent so far, by sequence number - 1. */
  readonly producedAt = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();

  constructor(private readonly options: ProducerOptions) {}

  static keyOf(i: number, keys: number): string {
    return `key-${String(i % keys).padStart(4, '0')}`;
  }

  /** Records sent, per key (every one acknowledged once run() has resolved). */
  producedPerKey(): Map<string, number> {
    return new Map([...this.producedAt].map(([key, times]) => [key, times.length]));
  }

  /**
   * Records the schedule has due at `nowMs`, sent or not: what a lag is measured against
   * (a producer that falls behind its schedule, because the stream cannot take the rate,
   * is a backlog too, as its records' late sends are latency).
   */
  dueAt(nowMs: number): number {
    if (this.startedAt === null) return 0;
    return Math.min(this.total, Math.floor((this.options.rate * (nowMs - this.startedAt)) / 1000));
  }

  /** Produces `rate × seconds` records over `seconds`, then resolves. */
  async run(seconds: number): Promise<void> {
    const { rate, keys } = this.options;
    const total = Math.round(rate * seconds);
    const tickMs = this.options.tickMs ?? 20;
    const startedAt = Date.now();
    this.startedAt = startedAt;
    this.total = total;
    let sent = 0;
    while (sent < total) {
      const due = this.dueAt(Date.now());
      if (due <= sent) {
        await new Promise((resolve) => setTimeout(resolve, tickMs));
        continue;
      }
      const records: { key: string; data: Uint8Array }[] = [];
      for (let i = sent; i < due; i += 1) {
        const k = FixedRateProducer.keyOf(i, keys);
        const t = startedAt + Math.floor((i * 1000) / rate);
        const s = Math.floor(i / keys) + 1;
        const record: LatencyRecord = { k, s, t };
        records.push({ key: k, data: this.encoder.encode(JSON.stringify(record)) });
        // Known before the send: a row may show a record before the put's answer comes back.
        let times = this.producedAt.get(k);
        if (times === undefined) this.producedAt.set(k, (times = []));
        times.push(t);
      }
      await putAllRecords(this.options.client, this.options.streamName, records);
      this.produced += records.length;
      sent = due;
    }
  }
}

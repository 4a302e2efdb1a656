import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisSourceReader } from '../engine/adapters/aws/index.js';
import type { StartPosition } from '../engine/protocol/offsets.js';
import type { Progress } from './environment.js';
import type { RequestCounter } from './request-counter.js';
import { now, perSecond } from './stats.js';

export interface RawReadResult {
  /** Records asked for per read (KinesisSourceReader.read's maxRecords). */
  readonly cap: number;
  readonly records: number;
  readonly reads: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly requests: Record<string, number>;
}

/**
 * Reads every shard from EARLIEST to its tail through KinesisSourceReader, `cap` records
 * per read, the shards in parallel (as a batch's executors do): no WAL, no decoding, no
 * state, no sink.
 */
export async function rawRead(args: {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly cap: number;
  readonly requests: RequestCounter;
  readonly progress: Progress;
}): Promise<RawReadResult> {
  const reader = new KinesisSourceReader({ client: args.client, streamName: args.streamName });
  const shards = (await reader.listPartitions()).map((p) => p.id);
  const before = args.requests.snapshot();
  let reads = 0;
  let records = 0;
  const started = now();
  await Promise.all(
    shards.map(async (partition) => {
      let start: StartPosition = { type: 'EARLIEST' };
      for (;;) {
        const result = await reader.read({ partition, start, maxRecords: args.cap });
        reads += 1;
        records += result.records.length;
        const last = result.records.at(-1);
        if (last !== undefined) start = { type: 'AFTER', offset: last.offset };
        if (result.caughtUp || result.closed || result.records.length === 0) break;
      }
    }),
  );
  const ms = now() - started;
  args.progress(`  raw read, ${args.cap} per read: ${records.toLocaleString('en-US')} records in ${Math.round(ms)} ms`);
  return {
    cap: args.cap,
    records,
    reads,
    seconds: ms / 1000,
    recordsPerSecond: perSecond(records, ms),
    requests: args.requests.since(before),
  };
}

/**
 * The engine's records/s over the raw read's, against the fastest of the raw reads of the
 * same records in the run (one before the job and one after it): a raw read slowed by the
 * machine's other work then cannot make the engine look faster than it is. Every raw read
 * must have read the records the engine did: a read that stopped short measured other work.
 */
export function engineToRaw(
  engine: { readonly records: number; readonly recordsPerSecond: number },
  raws: readonly RawReadResult[],
): number {
  const short = raws.find((r) => r.records !== engine.records);
  if (short !== undefined) throw new Error(`a raw read read ${short.records} records, the engine ${engine.records}: not the same records`);
  const fastest = Math.max(...raws.map((r) => r.recordsPerSecond));
  if (!(fastest > 0)) throw new Error('engineToRaw needs at least one raw read that read records');
  return engine.recordsPerSecond / fastest;
}

import { compileDecode } from '../engine/job/decode.js';
import type { JobDefinition } from '../engine/job/types.js';
import type { SourceRecord } from '../engine/ports/source-reader.js';
import { encodeExchange } from '../engine/protocol/exchange-format.js';
import type { GeneratedEvent } from '../jobs/clickstream/generate.js';
import { distribution, now, type Distribution } from './stats.js';

export interface EngineCpuResult {
  /** Records of one shard run through stage 1 per round (the job's cap, or fewer when the shard holds fewer). */
  readonly records: number;
  readonly rounds: number;
  /** Stage 1 with its exchange encoding, per round: decode, the stateless stages, the combiner, the routing. */
  readonly stageOneMs: Distribution;
  /** UTF-8 JSON decoding alone (the demo job's `decode: 'json'`), per round: part of stageOneMs for that job. */
  readonly decodeMs: Distribution;
  /** stageOneMs's median per record, in microseconds. */
  readonly stageOneMicrosPerRecord: number;
}

/**
 * The engine's own CPU time in a batch's stage 1, without I/O: one shard's records of the
 * measured stream, as the source reader hands them over, through the job's stage 1 and the
 * exchange's encoding, `rounds` times in this process (the first rounds warm the JIT and
 * are left out). On the local runtime the executors of a batch share this one event loop,
 * so a batch pays this once per shard; on AWS each executor is a Lambda of its own.
 */
export function measureEngineCpu(args: {
  readonly job: JobDefinition;
  readonly events: readonly GeneratedEvent[];
  readonly rounds?: number;
}): EngineCpuResult {
  const stages = args.job.pipeline.exchange;
  if (stages === undefined) throw new TypeError(`job ${args.job.name} has no exchange stages to measure`);
  const records = shardRecords(args.events, args.job.maxRecordsPerPartition);
  const first = records[0];
  const last = records.at(-1);
  if (first === undefined || last === undefined) throw new TypeError('the stream has no records on its first shard');
  const json = compileDecode('json').fn;
  const rounds = args.rounds ?? 30;
  const warmUp = 5;
  const stageOne: number[] = [];
  const decoding: number[] = [];
  for (let round = 0; round < warmUp + rounds; round++) {
    const started = now();
    const outcome = stages.stageOne({ records, watermarkMs: null, keyGroups: args.job.keyGroups ?? 1 });
    encodeExchange(outcome.rows);
    const decoded = now();
    for (const record of records) decodeOrNot(json, record);
    const ended = now();
    if (round < warmUp) continue;
    stageOne.push(decoded - started);
    decoding.push(ended - decoded);
  }
  const stageOneMs = distribution(stageOne);
  return {
    records: records.length,
    rounds,
    stageOneMs,
    decodeMs: distribution(decoding),
    stageOneMicrosPerRecord: (stageOneMs.median * 1000) / records.length,
  };
}

/** Decodes a record, as stage 1 would; the stream's malformed records fail here as they do there. */
function decodeOrNot(decode: (record: SourceRecord) => unknown, record: SourceRecord): void {
  try {
    decode(record);
  } catch {
    // a malformed record: stage 1 makes it a dead letter
  }
}

/** The first `cap` events of the first shard, as SourceRecords. */
function shardRecords(events: readonly GeneratedEvent[], cap: number): SourceRecord[] {
  const encoder = new TextEncoder();
  return events
    .filter((e) => e.partitionIndex === 0)
    .slice(0, cap)
    .map((e, i) => ({
      partition: 'shardId-000000000000',
      offset: String(i + 1).padStart(20, '0'),
      key: e.user,
      data: encoder.encode(e.payload),
      arrivalTimeMs: e.eventTimeMs,
    }));
}

import type { Clock } from './clock.js';
import type { DeadLetterQueue } from './dead-letter-queue.js';
import type { SinkFactory } from './sink.js';
import type { SourceFactory } from './source-reader.js';
import type { StateStore } from './state-store.js';
import type { ExchangeStore } from './exchange-store.js';
import type { LookupRecordStore } from './lookup-records.js';
import type { LookupTableFactory } from './lookup-table.js';
import type { WriteAheadLog } from './write-ahead-log.js';

export type * from './blob-store.js';
export type * from './clock.js';
export type * from './dead-letter-queue.js';
export type * from './exchange-store.js';
export type * from './lookup-records.js';
export type * from './lookup-table.js';
export type * from './sink.js';
export type * from './source-reader.js';
export type * from './state-store.js';
export type * from './write-ahead-log.js';

/**
 * Where the engine logs: a message and flat fields (ids, counts, an error's description),
 * never a secret. The engine does not know where lines go: on Lambda they are JSON lines
 * with the invocation's request id (functions/logger.ts), locally one console line each
 * (local/console-logger.ts), and in tests nowhere (silentLogger).
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything the driver and executor functions talk to. One AWS and one memory build exist. */
export interface EnginePorts {
  readonly wal: WriteAheadLog;
  readonly state: StateStore;
  /** Stage 1's outputs too large to travel inline, on the two-stage path (engine/protocol/stage-two.ts). */
  readonly exchange: ExchangeStore;
  readonly deadLetters: DeadLetterQueue;
  readonly sources: SourceFactory;
  readonly sinks: SinkFactory;
  /** The tables pipelines' lookup stages read (engine/job/lookup.ts). */
  readonly lookupTables: LookupTableFactory;
  /** What each batch's lookups read, kept for its retries and replays (engine/protocol/lookup-record.ts). */
  readonly lookupRecords: LookupRecordStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

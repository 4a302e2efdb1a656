import type { EnginePorts } from '../../engine/ports/index.js';

/** A stream that can change shape: the adapter under test provides it. */
export interface ReshardWorld {
  readonly ports: EnginePorts;
  readonly streamName: string;
  readonly sinkTable: string;
  /** The stream's shards when created (two). */
  readonly shards: readonly string[];
  /** Appends records routed by their key, as Kinesis routes (MD5 into a shard's hash key range), or by their explicit hash key. */
  append(records: readonly { key: string; data: Uint8Array; explicitHashKey?: string }[]): Promise<void>;
  /** Splits a shard in the middle of its range; returns the two children. */
  split(shard: string): Promise<string[]>;
  /** Merges two adjacent shards; returns the child. */
  merge(a: string, b: string): Promise<string>;
}

export type ReshardWorldFactory = (name: string) => Promise<ReshardWorld>;

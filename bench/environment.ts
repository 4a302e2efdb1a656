import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { S3BlobStore, createStream, destroyAwsClients, localAwsConfig, putAllRecords } from '../engine/adapters/aws/index.js';
import { createAwsPorts, type AwsPorts } from '../engine/adapters/deployed-ports.js';
import { systemClock } from '../engine/adapters/system-clock.js';
import { LOCAL_RESOURCES, startLocalRuntime, type LocalRuntime } from '../local/runtime.js';
import { consoleLogger } from '../local/console-logger.js';
import { compareOffsets } from '../engine/protocol/offsets.js';
import { BlobExchangeStore } from '../engine/state/exchange-store.js';
import { BlobStateStore } from '../engine/state/blob-state-store.js';
import { DEFAULT_CLICKSTREAM, generateClickstream, type ClickstreamSettings, type GeneratedEvent } from '../jobs/clickstream/generate.js';
import { CountingBlobStore } from './counting-blob-store.js';
import { RequestCounter } from './request-counter.js';
import { now, perSecond } from './stats.js';

export type Progress = (line: string) => void;

export interface BenchEnvironment {
  readonly runtime: LocalRuntime;
  readonly dataDir: string;
  readonly requests: RequestCounter;
  /** Ports on the runtime's stand-ins with their own counted clients; see countingPorts. */
  countingPorts(): { ports: AwsPorts; blobs: CountingBlobStore };
  close(keep: boolean): Promise<void>;
}

/** Starts the local runtime in a fresh temporary directory (quiet engine logs: warnings only). */
export async function startEnvironment(progress: Progress): Promise<BenchEnvironment> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  progress(`starting the local runtime in ${dataDir}`);
  const logger = consoleLogger({ quiet: true });
  const runtime = await startLocalRuntime({ dataDir, logger }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const requests = new RequestCounter();
  const created: AwsPorts[] = [];
  return {
    runtime,
    dataDir,
    requests,
    countingPorts() {
      // The same ports startLocalRuntime builds, with the state store over a counting blob store.
      const base = createAwsPorts({
        ...localAwsConfig(runtime.standIns.endpoints),
        ...LOCAL_RESOURCES,
        clock: systemClock,
        logger,
      });
      requests.attach(base.clients);
      created.push(base);
      const blobs = new CountingBlobStore(new S3BlobStore({ client: base.clients.s3, bucket: LOCAL_RESOURCES.bucket }));
      return { ports: { ...base, state: new BlobStateStore(blobs), exchange: new BlobExchangeStore(blobs) }, blobs };
    },
    async close(keep) {
      for (const ports of created) destroyAwsClients(ports.clients);
      await runtime.stop();
      if (keep) progress(`kept the data directory ${dataDir}`);
      else await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface InputWritten {
  readonly events: GeneratedEvent[];
  readonly shards: number;
  readonly bytes: number;
  readonly ms: number;
  readonly recordsPerSecond: number;
}

/** Writes the demo's clickstream to a fresh stream, each event to its partition's shard (as the demo does). */
export async function writeClickstream(
  runtime: LocalRuntime,
  streamName: string,
  events: number,
  progress: Progress,
  overrides: Partial<ClickstreamSettings> = {},
): Promise<InputWritten> {
  const settings = { ...DEFAULT_CLICKSTREAM, ...overrides, events };
  const kinesis = runtime.ports.clients.kinesis;
  await createStream(kinesis, streamName, settings.partitions);
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const hashKeys = shards.map((s) => s.HashKeyRange!.StartingHashKey!).sort(compareOffsets);
  const generated = generateClickstream(settings);
  const encoder = new TextEncoder();
  const records = generated.map((e) => ({
    key: e.user,
    data: encoder.encode(e.payload),
    explicitHashKey: hashKeys[e.partitionIndex]!,
  }));
  const bytes = records.reduce((sum, r) => sum + r.data.byteLength, 0);
  progress(`writing ${events.toLocaleString('en-US')} events to stream ${streamName} (${hashKeys.length} shards)`);
  let shown = 0;
  const started = now();
  await putAllRecords(kinesis, streamName, records, {
    onProgress: (stored, total) => {
      if (stored - shown >= 10_000 || stored === total) {
        shown = stored;
        progress(`  written ${stored.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
      }
    },
  });
  const ms = now() - started;
  return { events: generated, shards: hashKeys.length, bytes, ms, recordsPerSecond: perSecond(events, ms) };
}

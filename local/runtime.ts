import { mkdir } from 'node:fs/promises';
import { DEFAULT_DATA_DIR } from './defaults.js';
import { resolve } from 'node:path';
import { createBucket, createDeadLetterTable, createWalTable, destroyAwsClients, localAwsConfig } from '../engine/adapters/aws/index.js';
import { createAwsPorts, type AwsPorts } from '../engine/adapters/deployed-ports.js';
import { systemClock } from '../engine/adapters/system-clock.js';
import type { Logger } from '../engine/ports/index.js';
import { consoleLogger } from './console-logger.js';
import { removeEndpointsFile, writeEndpointsFile, type LocalEndpoints } from './endpoints-file.js';
import { startKafkaMock, type KafkaMock } from './kafka-mock.js';
import { ensurePrerequisites } from './provision.js';
import { startStandIns, type StandIns } from './stand-ins.js';

/** Names of the engine's own resources on the local runtime (the CDK stack names its own). */
export const LOCAL_RESOURCES = {
  walTable: 'sluice-wal',
  deadLetterTable: 'sluice-dead-letters',
  bucket: 'sluice-checkpoints',
} as const;

export interface LocalRuntime {
  /** The engine's ports on the stand-ins: real SDK v3 clients over loopback. */
  readonly ports: AwsPorts;
  readonly standIns: StandIns;
  /** librdkafka's mock Kafka cluster this runtime started, when asked for (its data lives in memory only: see docs/kafka.md). */
  readonly kafka: KafkaMock | null;
  readonly dataDir: string;
  /** What `<dataDir>/endpoints.json` says (local/endpoints-file.ts): the stand-ins, and the API once published. */
  readonly endpoints: LocalEndpoints;
  /** Records the jobs API's URL in endpoints.json, for the commands that look for it there. */
  publishApi(url: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The local runtime: DynamoDB Local, kinesalite and s3rver on loopback, keeping all their
 * data under `dataDir`, with the WAL table, the dead-letter table and the checkpoint
 * bucket created. A process killed with -9 can start again on the same directory and
 * the engine recovers from what the stand-ins kept, exactly as it would on AWS.
 */
export async function startLocalRuntime(
  options: {
    dataDir?: string;
    logger?: Logger;
    log?: (line: string) => void;
    /**
     * Also start librdkafka's mock Kafka cluster (through kcat) and give the ports its
     * connection (true), or connect the ports to a cluster already running (its bootstrap
     * brokers): one that outlives this runtime, as a real broker outlives a driver, and
     * that this runtime does not stop.
     */
    kafka?: boolean | { readonly brokers: readonly string[] };
  } = {},
): Promise<LocalRuntime> {
  // Java and, with Kafka, kcat: installed as root, else stop before anything starts (local/provision.ts).
  ensurePrerequisites({ what: 'the local runtime', kafka: options.kafka === true });
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const standIns = await startStandIns({ dataDir, ...(options.log ? { log: options.log } : {}) });
  let kafka: KafkaMock | null = null;
  try {
    if (options.kafka === true) kafka = await startKafkaMock({ ...(options.log ? { log: options.log } : {}) });
    const brokers = typeof options.kafka === 'object' ? options.kafka.brokers : kafka?.brokers;
    const ports = createAwsPorts({
      ...localAwsConfig(standIns.endpoints),
      ...LOCAL_RESOURCES,
      clock: systemClock,
      logger: options.logger ?? consoleLogger(),
      ...(brokers === undefined ? {} : { kafka: { brokers, clientId: 'sluice-local' } }),
    });
    await createWalTable(ports.clients.dynamodb, LOCAL_RESOURCES.walTable);
    await createDeadLetterTable(ports.clients.dynamodb, LOCAL_RESOURCES.deadLetterTable);
    await createBucket(ports.clients.s3, LOCAL_RESOURCES.bucket);
    let endpoints: LocalEndpoints = {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      dataDir,
      region: (await ports.clients.kinesis.config.region()) ?? 'us-east-1',
      ...standIns.endpoints,
      kafka: brokers === undefined ? null : { brokers: [...brokers] },
      api: null,
      resources: { ...LOCAL_RESOURCES },
    };
    await writeEndpointsFile(endpoints);
    let stopped = false;
    return {
      ports,
      standIns,
      kafka,
      dataDir,
      get endpoints() {
        return endpoints;
      },
      async publishApi(url) {
        endpoints = { ...endpoints, api: url };
        await writeEndpointsFile(endpoints);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await removeEndpointsFile(dataDir);
        destroyAwsClients(ports.clients);
        await ports.kafka?.close();
        await kafka?.stop();
        await standIns.stop();
      },
    };
  } catch (error) {
    await kafka?.stop();
    await standIns.stop();
    throw error;
  }
}

import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  createAwsPorts,
  createBucket,
  createDeadLetterTable,
  createWalTable,
  destroyAwsClients,
  localAwsConfig,
  type AwsPorts,
} from '../adapters/aws/index.js';
import { systemClock } from '../adapters/system-clock.js';
import type { Logger } from '../ports/index.js';
import { consoleLogger } from './console-logger.js';
import { startStandIns, type StandIns } from './stand-ins.js';

/** Names of the engine's own resources on the local runtime (the CDK stack names its own). */
export const LOCAL_RESOURCES = {
  walTable: 'sluice-wal',
  deadLetterTable: 'sluice-dead-letters',
  bucket: 'sluice-checkpoints',
} as const;

export const DEFAULT_DATA_DIR = '.sluice';

export interface LocalRuntime {
  /** The engine's ports on the stand-ins: real SDK v3 clients over loopback. */
  readonly ports: AwsPorts;
  readonly standIns: StandIns;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * The local runtime: DynamoDB Local, kinesalite and s3rver on loopback, keeping all their
 * data under `dataDir`, with the WAL table, the dead-letter table and the checkpoint
 * bucket created. A process killed with -9 can start again on the same directory and
 * the engine recovers from what the stand-ins kept, exactly as it would on AWS.
 */
export async function startLocalRuntime(
  options: { dataDir?: string; logger?: Logger; log?: (line: string) => void } = {},
): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const standIns = await startStandIns({ dataDir, ...(options.log ? { log: options.log } : {}) });
  try {
    const ports = createAwsPorts({
      ...localAwsConfig(standIns.endpoints),
      ...LOCAL_RESOURCES,
      clock: systemClock,
      logger: options.logger ?? consoleLogger(),
    });
    await createWalTable(ports.clients.dynamodb, LOCAL_RESOURCES.walTable);
    await createDeadLetterTable(ports.clients.dynamodb, LOCAL_RESOURCES.deadLetterTable);
    await createBucket(ports.clients.s3, LOCAL_RESOURCES.bucket);
    let stopped = false;
    return {
      ports,
      standIns,
      dataDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        destroyAwsClients(ports.clients);
        await standIns.stop();
      },
    };
  } catch (error) {
    await standIns.stop();
    throw error;
  }
}

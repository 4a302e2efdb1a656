/**
 * The stream and the table `sluice smoke` creates for its run and deletes after it (one
 * name for both): in the account and region of the deployed API, with the SDK's default
 * credentials, or, for a local API (npm run api), on the stand-ins of the local runtime
 * that serves it (found through its data directory's endpoints.json).
 */
import { resolve } from 'node:path';
import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { createAwsClients, createSinkTable, createStream, destroyAwsClients, type AwsClients } from '../engine/adapters/aws/index.js';
import { isNotFound } from '../engine/adapters/aws/aws-errors.js';
import { describeError } from '../engine/errors.js';
import { readEndpointsFile } from '../local/endpoints-file.js';

/** Shards of the stream: two, so that the job's keys meet from more than one partition. */
export const SMOKE_SHARDS = 2;

export interface SmokeResources {
  readonly clients: AwsClients;
  /** "AWS eu-west-1", or "the local runtime in /path/.sluice". */
  readonly where: string;
  close(): void;
}

/** Not where the run expects them: no local runtime serves that API, or it is another's. */
export class SmokeTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmokeTargetError';
  }
}

export function awsSmokeResources(region: string): SmokeResources {
  const clients = createAwsClients({ region });
  return { clients, where: `AWS ${region}`, close: () => destroyAwsClients(clients) };
}

/** The stand-ins of the local runtime on `dataDir`, which must be the one serving `endpoint`. */
export function localSmokeResources(endpoint: string, dataDir: string): SmokeResources {
  const dir = resolve(dataDir);
  const reading = readEndpointsFile(dir);
  if (reading.status !== 'live')
    throw new SmokeTargetError(
      `the API ${endpoint} is on this machine, but no local runtime runs on ${dir} (pass --data-dir, or $SLUICE_DATA_DIR, of the npm run api that serves it)`,
    );
  const local = reading.endpoints;
  if (local.api === null || sameOrigin(local.api, endpoint) === false)
    throw new SmokeTargetError(
      `the local runtime on ${dir} serves ${local.api === null ? 'no API' : `the API ${local.api}`}, not ${endpoint}: pass the --data-dir of the npm run api that serves it`,
    );
  const clients = createAwsClients({ region: local.region, endpoints: { dynamodb: local.dynamodb, kinesis: local.kinesis, s3: local.s3 } });
  return { clients, where: `the local runtime in ${dir}`, close: () => destroyAwsClients(clients) };
}

/** Which of the stream and the table named `name` exist already ("stream", "table"). */
export async function existing(clients: AwsClients, name: string): Promise<string[]> {
  const exists = async (describe: () => Promise<unknown>) => {
    try {
      await describe();
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  };
  const [stream, table] = await Promise.all([
    exists(() => clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))),
    exists(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: name }))),
  ]);
  return [...(stream ? ['stream'] : []), ...(table ? ['table'] : [])];
}

/** Creates the stream and the sink table and waits until both are ACTIVE. */
export async function createStreamAndTable(clients: AwsClients, name: string): Promise<void> {
  await Promise.all([createStream(clients.kinesis, name, SMOKE_SHARDS), createSinkTable(clients.dynamodb, name)]);
}

/** Deletes the stream and the table (one already gone is fine); the problems, one line each (none: both gone). */
export async function deleteStreamAndTable(clients: AwsClients, name: string): Promise<string[]> {
  const remove = async (what: string, send: () => Promise<unknown>): Promise<string[]> => {
    try {
      await send();
      return [];
    } catch (error) {
      return isNotFound(error) ? [] : [`deleting ${what} ${name} failed: ${describeError(error)}`];
    }
  };
  const problems = await Promise.all([
    remove('stream', () => clients.kinesis.send(new DeleteStreamCommand({ StreamName: name }))),
    remove('table', () => clients.dynamodb.send(new DeleteTableCommand({ TableName: name }))),
  ]);
  return problems.flat();
}

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

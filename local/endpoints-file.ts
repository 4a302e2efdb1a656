/**
 * `<data-dir>/endpoints.json`: where a running local runtime's stand-ins listen, so that
 * other commands on the same data directory use them instead of starting their own (which
 * the stand-ins' pid file refuses while the owner lives) or guessing ports, which change on
 * every start. The local runtime (local/runtime.ts) writes it once its stand-ins answer,
 * the API server adds its URL, and a clean stop removes it. A runtime killed with -9
 * leaves it behind: its `pid` no longer runs, so readers see it as stale and the next
 * start overwrites it.
 *
 * The shape is versioned (`version`); a reader refuses a version it does not know rather
 * than guess. Version 1:
 *
 *   {
 *     "version": 1,
 *     "pid": 4711,                                   the process that owns the stand-ins
 *     "startedAt": "2026-12-02T08:00:00.000Z",
 *     "dataDir": "/home/me/orders/.sluice",
 *     "region": "us-east-1",                         any region works; the stand-ins ignore it
 *     "dynamodb": "http://127.0.0.1:41231",          DynamoDB Local
 *     "kinesis": "http://127.0.0.1:41232",           kinesalite (HTTP/1.1 only: see docs/local-runtime.md)
 *     "s3": "http://127.0.0.1:41233",                s3rver (path-style, credentials S3RVER/S3RVER)
 *     "kafka": { "brokers": ["127.0.0.1:41234"] },   librdkafka's mock cluster, or null
 *     "api": "http://127.0.0.1:4810",                the jobs API (npm run api), or null
 *     "resources": { "walTable": "sluice-wal", "deadLetterTable": "sluice-dead-letters", "bucket": "sluice-checkpoints" }
 *   }
 */
import { readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../engine/errors.js';
import { isAlive } from './process-alive.js';

export const ENDPOINTS_FILE = 'endpoints.json';
export const ENDPOINTS_VERSION = 1;

export interface LocalEndpoints {
  readonly version: typeof ENDPOINTS_VERSION;
  readonly pid: number;
  readonly startedAt: string;
  readonly dataDir: string;
  readonly region: string;
  readonly dynamodb: string;
  readonly kinesis: string;
  readonly s3: string;
  readonly kafka: { readonly brokers: readonly string[] } | null;
  readonly api: string | null;
  readonly resources: { readonly walTable: string; readonly deadLetterTable: string; readonly bucket: string };
}

/** What a data directory says about its stand-ins: none recorded, recorded by a process that is gone, or live. */
export type EndpointsReading =
  | { readonly status: 'none' }
  | { readonly status: 'stale'; readonly endpoints: LocalEndpoints }
  | { readonly status: 'live'; readonly endpoints: LocalEndpoints };

export function endpointsPath(dataDir: string): string {
  return join(dataDir, ENDPOINTS_FILE);
}

/** Writes the file whole (a temporary file renamed over it: a reader never sees half of it). */
export async function writeEndpointsFile(endpoints: LocalEndpoints): Promise<void> {
  const path = endpointsPath(endpoints.dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(endpoints, null, 2)}\n`);
  await rename(temporary, path);
}

/** Removes the file if this process wrote it (another runtime may own the directory by now). */
export async function removeEndpointsFile(dataDir: string, pid: number = process.pid): Promise<void> {
  const reading = readEndpointsFile(dataDir);
  if (reading.status !== 'none' && reading.endpoints.pid !== pid) return;
  await rm(endpointsPath(dataDir), { force: true });
}

/**
 * The file of `dataDir`, if any, and whether its owner still runs. Synchronous: the
 * command line reads it while it parses its options. A file it cannot read as version 1
 * is a ConfigurationError naming the file.
 */
export function readEndpointsFile(dataDir: string): EndpointsReading {
  const path = endpointsPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'none' };
    throw error;
  }
  const endpoints = parseEndpoints(text, path);
  return { status: isAlive(endpoints.pid) ? 'live' : 'stale', endpoints };
}

function parseEndpoints(text: string, path: string): LocalEndpoints {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`${path} is not JSON (${(error as Error).message}): delete it and start the local runtime again`);
  }
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (v.version !== ENDPOINTS_VERSION) {
    throw new ConfigurationError(
      `${path} has version ${JSON.stringify(v.version)}; this sluice reads version ${ENDPOINTS_VERSION}: ` +
        'use the sluice of the runtime that wrote it, or restart the local runtime with this one',
    );
  }
  const strings = ['startedAt', 'dataDir', 'region', 'dynamodb', 'kinesis', 's3'] as const;
  const bad = strings.filter((k) => typeof v[k] !== 'string');
  if (typeof v.pid !== 'number' || bad.length > 0) {
    throw new ConfigurationError(
      `${path} lacks ${[...(typeof v.pid === 'number' ? [] : ['pid']), ...bad].join(', ')}: delete it and start the local runtime again`,
    );
  }
  return value as LocalEndpoints;
}

/** The lines `npm run api` and `npm start` print. */
export function describeEndpoints(endpoints: LocalEndpoints): string[] {
  return [
    `stand-ins: dynamodb ${endpoints.dynamodb}  kinesis ${endpoints.kinesis}  s3 ${endpoints.s3}` +
      (endpoints.kafka === null ? '' : `  kafka ${endpoints.kafka.brokers.join(',')}`),
    `  written to ${endpointsPath(endpoints.dataDir)} (docs/local-runtime.md: pointing your own clients at them)`,
  ];
}

/**
 * Local stand-ins for the AWS services the engine uses, all on 127.0.0.1 with ephemeral
 * ports: DynamoDB Local (AWS's own jar, a Java child process), kinesalite and s3rver (Node
 * child processes, see below). With a `dataDir` their data survives a
 * restart; with `dataDir: null` everything lives in memory or in a fresh temp directory.
 *
 * One runner at a time per data directory: it is taken with an exclusive lock the
 * operating system releases when the runner dies (./data-dir-lock.ts); a second runner is
 * refused at once with the pid of the first.
 *
 * Facts this file works around (../shared/notes/local-aws.md has the measurements):
 * - A process killed with -9 would leave its Java child running and holding the dbPath:
 *   every child runs through a tether (./tether.ts) that stops it when this process dies,
 *   at whatever moment. The tethers' pids (process groups) are also recorded in
 *   `<dataDir>/stand-ins.pid.json`, and any left running are killed before the next start.
 * - DynamoDB Local takes ~10 s to fail over when its `-dbPath` does not exist: it is
 *   created first. It has no option for its listening address: it is started through
 *   local/dynamodb-local-loopback.ts, which binds it to 127.0.0.1 like the others.
 * - s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node 17+ only has
 *   with `--openssl-legacy-provider`: in this process every truncated listing (more than
 *   1,000 keys, or MaxKeys) would fail with a 500. So s3rver runs in a child Node process
 *   started with that flag (through a tether too).
 * - kinesalite runs in a child Node process too. In the engine's process its CPU (its
 *   sequence-number arithmetic in bignumber.js and LevelDB are most of a local run's CPU)
 *   and the engine's shared one event loop, so every millisecond the engine spent decoding
 *   records was a millisecond the source could not serve: on AWS, Kinesis is never in the
 *   executor's process. Measured in docs/performance.md ("kinesalite in its own process").
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { retry } from '../engine/retry.js';
import { spawnLoopbackDynamoDbLocal } from './dynamodb-local-loopback.js';
import { lockDataDir } from './data-dir-lock.js';
import { inUse, KINESIS_MARKER, killStaleChildren, removePidFile, S3_MARKER, writePidFile } from './stand-in-pids.js';
import { killGroup, spawnTethered } from './tether.js';

export interface StandInEndpoints {
  readonly dynamodb: string;
  readonly kinesis: string;
  readonly s3: string;
}

export interface StandIns {
  readonly endpoints: StandInEndpoints;
  /** Stops every stand-in. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface StandInOptions {
  /** Where the stand-ins keep their data; null keeps it in memory (and a temp directory for S3). */
  readonly dataDir: string | null;
  readonly log?: (line: string) => void;
}

const HOST = '127.0.0.1';
/**
 * How long a stand-in may take to start. DynamoDB Local compiles its loopback launcher and
 * starts a JVM: about 3 s on an idle machine, 20 s and more on a busy 2-core one, which
 * must not fail a test run.
 */
const DYNAMODB_START_TIMEOUT_MS = 90_000;
/** The Node children (s3rver, kinesalite): they print their port once listening. */
const NODE_CHILD_START_TIMEOUT_MS = 45_000;

const require = createRequire(import.meta.url);
/**
 * The child that runs s3rver (under a tether, which stops it when this process dies):
 * argv = [s3rver module, directory, marker]. Prints its port. A write to a parent that has
 * just died fails with EPIPE: it exits then instead of crashing.
 */
const S3RVER_CHILD = `
const [s3rverModule, directory] = process.argv.slice(1);
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => process.exit(0));
const S3rver = require(s3rverModule);
const server = new S3rver({ address: '${HOST}', port: 0, silent: true, directory });
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (error) => { process.stderr.write(String(error && error.stack || error) + '\\n'); process.exit(1); },
);
`;

/**
 * The child that runs kinesalite (under a tether): argv = [kinesalite module, LevelDB path
 * or '' for memory, marker]. Prints its port; exits as the s3rver child does on EPIPE.
 * Stream creation and deletion are immediate; the shard quota is Kinesis's per-account one
 * raised, as the test suite's many small streams need more than 100.
 */
const KINESALITE_CHILD = `
const [kinesaliteModule, path] = process.argv.slice(1);
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => process.exit(0));
const kinesalite = require(kinesaliteModule);
const options = { createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 10000 };
const server = kinesalite(path === '' ? options : { ...options, path });
server.once('error', (error) => { process.stderr.write(String(error && error.stack || error) + '\\n'); process.exit(1); });
server.listen(0, '${HOST}', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
`;

export async function startStandIns(options: StandInOptions): Promise<StandIns> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const log = options.log ?? (() => {});
  const { dataDir } = options;
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    cleanups.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the AWS stand-ins failed');
  };

  try {
    let s3Dir: string;
    let dynamoDir: string | null = null;
    let kinesisDir: string | undefined;
    if (dataDir !== null) {
      await mkdir(dataDir, { recursive: true });
      const taken = await lockDataDir(dataDir);
      if (!taken.locked) throw inUse(dataDir, taken.holderPid);
      cleanups.push(() => taken.lock.release());
      await killStaleChildren(dataDir, log);
      dynamoDir = join(dataDir, 'dynamodb');
      kinesisDir = join(dataDir, 'kinesis');
      s3Dir = join(dataDir, 's3');
      await Promise.all([dynamoDir, kinesisDir, s3Dir].map((dir) => mkdir(dir, { recursive: true })));
    } else {
      s3Dir = await mkdtemp(join(tmpdir(), 'sluice-s3-'));
      cleanups.push(() => rm(s3Dir, { recursive: true, force: true }));
    }

    if (dataDir !== null) cleanups.push(() => removePidFile(dataDir));
    // The pid file is written as soon as each child exists, so a kill -9 at any point leaves a record.
    const recordPids = (java: ChildProcess, s3?: ChildProcess, kinesis?: ChildProcess) =>
      dataDir === null ? Promise.resolve() : writePidFile(dataDir, java, s3, kinesis);
    const dynamo = await startDynamoDbLocal(dynamoDir, log, (java) => recordPids(java));
    cleanups.push(() => stopChild(dynamo.child, dynamo.exited));

    // s3rver: a Node child with the legacy OpenSSL provider (see the header).
    const s3Child = spawnTethered(process.execPath, [
      '--openssl-legacy-provider',
      '-e',
      S3RVER_CHILD,
      require.resolve('s3rver'),
      s3Dir,
      S3_MARKER,
    ]);
    const s3 = watchChild(s3Child, 's3rver', log);
    cleanups.push(() => stopChild(s3Child, s3.exited));
    await recordPids(dynamo.child, s3Child);

    // kinesalite: a Node child too (see the header).
    const kinesisChild = spawnTethered(process.execPath, [
      '-e',
      KINESALITE_CHILD,
      require.resolve('kinesalite'),
      kinesisDir ?? '',
      KINESIS_MARKER,
    ]);
    const kinesis = watchChild(kinesisChild, 'kinesalite', log);
    cleanups.push(() => stopChild(kinesisChild, kinesis.exited));
    await recordPids(dynamo.child, s3Child, kinesisChild);
    const kinesisPort = await portOf(kinesis);

    const s3Port = await portOf(s3);
    const endpoints: StandInEndpoints = {
      dynamodb: dynamo.endpoint,
      kinesis: `http://${HOST}:${kinesisPort}`,
      s3: `http://${HOST}:${s3Port}`,
    };
    log(`stand-ins up: dynamodb ${endpoints.dynamodb}, kinesis ${endpoints.kinesis}, s3 ${endpoints.s3}`);

    let stopping: Promise<void> | undefined;
    return {
      endpoints,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll().catch(() => {});
    throw error;
  }
}

/**
 * Starts DynamoDB Local on a port that was free a moment ago and waits until it answers.
 * Another process may take the port in between: then it starts again on another one.
 */
async function startDynamoDbLocal(
  path: string | null,
  log: (line: string) => void,
  onSpawn: (child: ChildProcess) => Promise<void>,
): Promise<WatchedChild & { child: ChildProcess; endpoint: string }> {
  // The launcher passes -disableTelemetry; the variable (inherited by the child) says the same
  // to any DynamoDB Local that reads it instead.
  process.env.DDB_LOCAL_TELEMETRY ??= '0';
  let port = 0;
  return retry(
    async (_attempt, bail) => {
      port = await freePort();
      // Under a tether, which stops it when this process dies.
      const child = spawnLoopbackDynamoDbLocal({ port, path, sharedDb: true, spawn: spawnTethered });
      const watched = watchChild(child, 'dynamodb-local', log);
      const endpoint = `http://${HOST}:${port}`;
      try {
        await onSpawn(child);
        await waitForDynamoDb(endpoint, watched);
        return { ...watched, child, endpoint };
      } catch (error) {
        await stopChild(child, watched.exited);
        if (!/BindException|already in use/i.test(watched.tail())) bail(error);
        throw error;
      }
    },
    {
      attempts: 3,
      baseDelayMs: 0,
      clock: { sleep },
      shouldRetry: () => true,
      onRetry: () => log(`DynamoDB Local could not listen on port ${port}; trying another`),
    },
  );
}

interface WatchedChild {
  /** Resolves with the exit code (or signal) when the child exits. */
  readonly exited: Promise<string>;
  readonly hasExited: () => boolean;
  /** The last lines it wrote, for error messages. */
  readonly tail: () => string;
  /** The first stdout line; rejects if the child exits or the timeout passes first. */
  firstLine(timeoutMs: number): Promise<string>;
}

function watchChild(child: ChildProcess, name: string, log: (line: string) => void): WatchedChild {
  const lines: string[] = [];
  let exited = false;
  let firstLineWaiter: ((line: string) => void) | undefined;
  let firstLine: string | undefined;
  const onLine = (line: string): void => {
    if (line.trim() === '') return;
    lines.push(line);
    if (lines.length > 20) lines.shift();
    log(`[${name}] ${line}`);
  };
  let stdoutBuffer = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdoutBuffer += chunk;
    let newline: number;
    while ((newline = stdoutBuffer.indexOf('\n')) >= 0) {
      const line = stdoutBuffer.slice(0, newline);
      stdoutBuffer = stdoutBuffer.slice(newline + 1);
      if (firstLine === undefined) {
        firstLine = line;
        firstLineWaiter?.(line);
      }
      onLine(line);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => chunk.split('\n').forEach(onLine));
  const exitedPromise = new Promise<string>((resolve) => {
    child.once('error', (error) => {
      onLine(`failed to start: ${error.message}`);
      exited = true;
      resolve(`error ${error.message}`);
    });
    child.once('exit', (code, signal) => {
      exited = true;
      resolve(signal ?? `code ${code}`);
    });
  });
  return {
    exited: exitedPromise,
    hasExited: () => exited,
    tail: () => lines.join('\n'),
    firstLine: (timeoutMs) =>
      new Promise<string>((resolve, reject) => {
        if (firstLine !== undefined) return resolve(firstLine);
        const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs);
        firstLineWaiter = (line) => {
          clearTimeout(timer);
          resolve(line);
        };
        void exitedPromise.then((how) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${how}) before it started:\n${lines.join('\n')}`));
        });
      }),
  };
}

async function waitForDynamoDb(endpoint: string, dynamo: WatchedChild): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + DYNAMODB_START_TIMEOUT_MS;
  try {
    for (;;) {
      if (dynamo.hasExited()) {
        throw new Error(`DynamoDB Local exited before it answered (is Java installed?):\n${dynamo.tail()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `DynamoDB Local did not answer at ${endpoint} within ${DYNAMODB_START_TIMEOUT_MS / 1000} s ` +
              `(last error: ${(error as Error).message}):\n${dynamo.tail()}`,
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  } finally {
    client.destroy();
  }
}

async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.stdin?.end();
  child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    // The tether's whole group: the tether and the program it runs.
    killGroup(child.pid, 'SIGKILL');
    await exited;
  }
}

/** The port a Node child prints as its first line, `{ "port": n }`. */
async function portOf(child: WatchedChild): Promise<number> {
  return (JSON.parse(await child.firstLine(NODE_CHILD_START_TIMEOUT_MS)) as { port: number }).port;
}

/** A port that was free a moment ago: listen on port 0, note the port, close. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

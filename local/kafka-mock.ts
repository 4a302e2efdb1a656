/**
 * librdkafka's mock Kafka cluster, started through Debian's `kcat`: a real implementation
 * of the Kafka protocol (Metadata, Produce, Fetch, ListOffsets, consumer groups) on
 * loopback, with no JVM and no ZooKeeper. `kcat -X test.mock.num.brokers=N -P` replaces
 * its bootstrap servers with the mock's and says so on stderr ("... replaced with
 * HOST:PORT[,HOST:PORT]"); it serves the cluster until its standard input closes.
 *
 * What the mock is not (docs/kafka.md has the list): it keeps every record in memory
 * only, so it does not survive its process (the kill -9 story of the other stand-ins does
 * not apply to it); topics are created on first use with 4 partitions and cannot be
 * created, grown or trimmed through the admin API (no CreateTopics, CreatePartitions or
 * DeleteRecords); ListOffsets by timestamp answers "no such record" (-1) for every
 * timestamp; there is no authentication and no TLS.
 *
 * The child is tied to this process by its standard input: when this process exits,
 * however it exits (even kill -9), the pipe closes and kcat stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { InvalidArgumentError } from '../engine/errors.js';

export interface KafkaMock {
  /** The mock's bootstrap brokers ("127.0.0.1:PORT"), one per mock broker. */
  readonly brokers: readonly string[];
  /** Stops the mock (closes kcat's standard input). Safe to call more than once. */
  stop(): Promise<void>;
}

export interface KafkaMockOptions {
  /** Brokers in the mock cluster (default 1). Partition leaders are spread over them. */
  readonly brokers?: number;
  /** The kcat binary (default `kcat` on the PATH). */
  readonly command?: string;
  readonly startTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

const INSTALL_HINT = 'install it with apt-get install kcat (Debian/Ubuntu; it brings librdkafka1)';
const BOOTSTRAP = /replaced with ([^\s]+)/;

/** Starts a mock cluster and resolves once it serves its bootstrap address. */
export async function startKafkaMock(options: KafkaMockOptions = {}): Promise<KafkaMock> {
  const brokerCount = options.brokers ?? 1;
  if (!Number.isInteger(brokerCount) || brokerCount < 1) {
    throw new InvalidArgumentError(`the mock needs at least one broker, got ${brokerCount}`);
  }
  const command = options.command ?? 'kcat';
  const log = options.log ?? (() => {});
  const child = spawn(command, ['-b', 'unused:9092', '-X', `test.mock.num.brokers=${brokerCount}`, '-P', '-t', '__keepalive'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`));
    child.once('error', (error) => resolve(`error ${error.message}`));
  });

  let brokers: string[];
  try {
    brokers = await bootstrapOf(child, command, options.startTimeoutMs ?? 15_000, log);
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }
  log(`kafka mock up: ${brokers.join(',')} (kcat pid ${child.pid})`);
  let stopping: Promise<void> | undefined;
  return {
    brokers,
    stop: () => (stopping ??= stopChild(child, exited)),
  };
}

function bootstrapOf(child: ChildProcess, command: string, timeoutMs: number, log: (line: string) => void): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    const lines: string[] = [];
    let buffer = '';
    let done = false;
    const finish = (outcome: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`the kcat mock cluster did not start within ${timeoutMs} ms:\n${lines.join('\n')}`))),
      timeoutMs,
    );
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line === '') continue;
        lines.push(line);
        if (lines.length > 20) lines.shift();
        log(`[kcat] ${line}`);
        const match = BOOTSTRAP.exec(line);
        if (match !== null) finish(() => resolve(match[1]!.split(',').filter((b) => b !== '')));
      }
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'ENOENT'
          ? `${command} was not found: the local Kafka (librdkafka's mock cluster) runs through kcat; ${INSTALL_HINT}`
          : `could not start ${command}: ${error.message}`;
      finish(() => reject(new Error(message, { cause: error })));
    });
    child.once('exit', (code, signal) =>
      finish(() =>
        reject(
          new Error(
            `${command} exited (${signal ?? `code ${code}`}) before the mock cluster started ` +
              `(a kcat built without librdkafka's mock cluster? ${INSTALL_HINT}):\n${lines.join('\n')}`,
          ),
        ),
      ),
    );
  });
}

async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.stdin?.end();
  const timeout = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
  if ((await Promise.race([exited, timeout(5_000)])) !== 'timeout') return;
  child.kill('SIGTERM');
  if ((await Promise.race([exited, timeout(2_000)])) !== 'timeout') return;
  child.kill('SIGKILL');
  await exited;
}

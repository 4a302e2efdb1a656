import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startKafkaMock } from '../../../local/kafka-mock.js';

/** Resolves true when something accepts a TCP connection at host:port. */
function accepts(broker: string): Promise<boolean> {
  const [host, port] = broker.split(':') as [string, string];
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe("startKafkaMock (librdkafka's mock cluster through kcat)", () => {
  it('serves one bootstrap address per broker on loopback until stopped', async () => {
    const mock = await startKafkaMock({ brokers: 3 });
    try {
      expect(mock.brokers).toHaveLength(3);
      for (const broker of mock.brokers) {
        expect(broker).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(await accepts(broker)).toBe(true);
      }
    } finally {
      await mock.stop();
      await mock.stop();
    }
    for (const broker of mock.brokers) expect(await accepts(broker)).toBe(false);
  });

  it('says how to install kcat when it is missing', async () => {
    const error = await startKafkaMock({ command: 'kcat-is-not-installed-here' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('install it with apt-get install kcat');
  });

  it('fails clearly when the program exits without starting a mock cluster', async () => {
    const error = await startKafkaMock({ command: 'false' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/false exited \(code 1\) before the mock cluster started/);
  });
});

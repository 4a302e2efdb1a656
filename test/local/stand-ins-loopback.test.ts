/**
 * Every stand-in listens on 127.0.0.1 only (local/stand-ins.ts, local/kafka-mock.ts):
 * DynamoDB Local, kinesalite, s3rver and librdkafka's mock Kafka answer on loopback and
 * refuse a connection to the machine's own non-loopback address on the same port.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock, type KafkaMock } from '../../local/kafka-mock.js';
import { startStandIns, type StandIns } from '../../local/stand-ins.js';

/** The machine's first non-loopback IPv4 address, or null when it has none. */
const external =
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address ?? null;

/** 'connected', or the error code of a failed connection. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
  });
}

let standIns: StandIns | undefined;
let kafka: KafkaMock | undefined;

beforeAll(async () => {
  if (external === null) return;
  standIns = await startStandIns({ dataDir: null });
  kafka = await startKafkaMock();
}, 90_000);

afterAll(async () => {
  await kafka?.stop();
  await standIns?.stop();
});

describe.skipIf(external === null)(`the stand-ins (skipped: this machine has no non-loopback address)`, () => {
  it('listen on 127.0.0.1 and refuse connections to the machine’s other address', async () => {
    const ports: [string, number][] = [
      ...Object.entries(standIns!.endpoints).map(([name, url]) => [name, Number(new URL(url).port)] as [string, number]),
      ...kafka!.brokers.map((b) => ['kafka', Number(b.split(':').pop())] as [string, number]),
    ];
    expect(ports.map(([name]) => name).sort()).toEqual(['dynamodb', 'kafka', 'kinesis', 's3']);
    for (const [name, port] of ports) {
      expect(await tryConnect('127.0.0.1', port), `${name} on 127.0.0.1:${port}`).toBe('connected');
      expect(await tryConnect(external!, port), `${name} on ${external}:${port}`).toBe('ECONNREFUSED');
    }
  });
});

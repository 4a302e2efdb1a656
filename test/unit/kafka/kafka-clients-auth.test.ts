/**
 * KafkaClients reads a connection's SCRAM secret lazily: not when the ports are built
 * (a Lambda's cold start need not reach Secrets Manager before it is asked to read
 * Kafka), once on first use, and again after a failed read (a throttled GetSecretValue
 * must not poison the container).
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KafkaConnection, SecretReader } from '../../../engine/adapters/kafka/kafka-config.js';
import { KafkaClients } from '../../../engine/adapters/kafka/kafka-clients.js';
import { ConfigurationError } from '../../../engine/errors.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_sluice-AbCdEf';
const CREDENTIALS = JSON.stringify({ username: 'reader', password: 'hunter2' });

/** A reader that counts its calls and fails the first `failures` of them. */
function countingReader(failures = 0): { reader: SecretReader; calls: () => number } {
  let calls = 0;
  return {
    reader: async () => {
      calls += 1;
      if (calls <= failures) throw new Error(`throttled (call ${calls})`);
      return CREDENTIALS;
    },
    calls: () => calls,
  };
}

// A port with a listener that drops every connection: kafkajs fails to talk to the
// "broker" at once, and nothing else on the machine can answer on it.
let broker: Server;
let connection: KafkaConnection;

beforeAll(async () => {
  broker = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
  const { port } = broker.address() as AddressInfo;
  connection = {
    brokers: [`127.0.0.1:${port}`],
    tls: false,
    auth: { type: 'scram-sha-512', secretArn: SECRET_ARN },
    connectionTimeoutMs: 200,
    requestTimeoutMs: 500,
  };
});

afterAll(async () => {
  await new Promise<void>((resolve) => broker.close(() => resolve()));
});

describe('KafkaClients with a SCRAM secret', () => {
  it('checks the connection when built, before any secret is read', () => {
    const { reader, calls } = countingReader();
    expect(
      () => new KafkaClients({ ...connection, auth: { type: 'scram-sha-512', secretArn: 'AmazonMSK_sluice' } }, { secrets: reader }),
    ).toThrow(ConfigurationError);
    expect(calls()).toBe(0);
  });

  it('reads the secret on first use, not when built, and once for every later use', async () => {
    const { reader, calls } = countingReader();
    const clients = new KafkaClients(connection, { secrets: reader });
    try {
      expect(calls()).toBe(0);
      const kafka = await clients.kafka();
      expect(calls()).toBe(1);
      expect(await clients.kafka()).toBe(kafka);
      expect(calls()).toBe(1);
    } finally {
      await clients.close();
    }
  });

  it('reads the secret before the admin client connects, and not again when a connection fails', async () => {
    const { reader, calls } = countingReader();
    const clients = new KafkaClients(connection, { secrets: reader });
    try {
      await expect(clients.admin()).rejects.toThrow('Closed connection');
      expect(calls()).toBe(1);
      // The failed admin client is forgotten; the kafkajs client, credentials resolved, is kept.
      await expect(clients.admin()).rejects.toThrow('Closed connection');
      expect(calls()).toBe(1);
    } finally {
      await clients.close();
    }
  });

  it('forgets a failed read, so the next use reads the secret again', async () => {
    const { reader, calls } = countingReader(1);
    const clients = new KafkaClients(connection, { secrets: reader });
    try {
      await expect(clients.admin()).rejects.toThrow('throttled (call 1)');
      expect(calls()).toBe(1);
      await expect(clients.kafka()).resolves.toBeDefined();
      expect(calls()).toBe(2);
      await clients.kafka();
      expect(calls()).toBe(2);
    } finally {
      await clients.close();
    }
  });

  it('reads the secret again after the brokers refuse its credentials (a rotated password)', async () => {
    const { reader, calls } = countingReader();
    const clients = new KafkaClients(connection, { secrets: reader });
    const refused = Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    const admin = vi.spyOn(kafkajs.Kafka.prototype, 'admin').mockReturnValue({ connect: async () => Promise.reject(refused) } as never);
    try {
      await expect(clients.admin()).rejects.toThrow('authentication failed');
      expect(calls()).toBe(1);
      await expect(clients.admin()).rejects.toThrow('authentication failed');
      expect(calls()).toBe(2);
    } finally {
      admin.mockRestore();
      await clients.close();
    }
  });

  it('reads nothing once closed', async () => {
    const { reader, calls } = countingReader();
    const clients = new KafkaClients(connection, { secrets: reader });
    await clients.close();
    await expect(clients.kafka()).rejects.toThrow(/are closed/);
    expect(calls()).toBe(0);
  });
});

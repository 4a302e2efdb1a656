/**
 * awsSecretReader through the real Secrets Manager SDK client. No Secrets Manager
 * stand-in runs on this machine, so a local HTTP server plays the service: it checks the
 * wire request the client sends (AWS JSON 1.1, X-Amz-Target secretsmanager.GetSecretValue,
 * the SecretId in the body) and answers with the documented shape of GetSecretValue's
 * response, or of an error.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsSecretReader, resolveKafkaAuth } from '../../../engine/adapters/kafka/kafka-secrets.js';
import { ConfigurationError, TransientError } from '../../../engine/errors.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_sluice-AbCdEf';
const CREDENTIALS = JSON.stringify({ username: 'reader', password: 'hunter2' });

interface Seen {
  readonly method: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** What the server answers next: a status and a JSON body. */
let answer: { status: number; body: unknown };
let seen: Seen[];
let server: Server;
let client: SecretsManagerClient;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: request.method, headers: request.headers, body: text === '' ? undefined : JSON.parse(text) });
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new SecretsManagerClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
});

describe('awsSecretReader on the Secrets Manager SDK client', () => {
  it('sends GetSecretValue for the secret and returns its SecretString', async () => {
    answer = {
      status: 200,
      body: {
        ARN: SECRET_ARN,
        Name: 'AmazonMSK_sluice',
        SecretString: CREDENTIALS,
        VersionId: 'v-1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      },
    };
    expect(await awsSecretReader(client)(SECRET_ARN)).toBe(CREDENTIALS);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(seen[0]!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(seen[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=x\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/);
    expect(seen[0]!.body).toEqual({ SecretId: SECRET_ARN });
  });

  it('gives resolveKafkaAuth the credentials of the secret', async () => {
    answer = { status: 200, body: { ARN: SECRET_ARN, Name: 'AmazonMSK_sluice', SecretString: CREDENTIALS, VersionId: 'v-1' } };
    const resolved = await resolveKafkaAuth(
      { brokers: ['b-1:9096'], auth: { type: 'scram-sha-512', secretArn: SECRET_ARN } },
      { secrets: awsSecretReader(client) },
    );
    expect(resolved.auth).toEqual({ type: 'scram-sha-512', username: 'reader', password: 'hunter2' });
  });

  it('returns undefined for a binary secret (no SecretString), which resolveKafkaAuth refuses', async () => {
    answer = {
      status: 200,
      body: { ARN: SECRET_ARN, Name: 'AmazonMSK_sluice', SecretBinary: Buffer.from(CREDENTIALS).toString('base64'), VersionId: 'v-1' },
    };
    expect(await awsSecretReader(client)(SECRET_ARN)).toBeUndefined();
    await expect(
      resolveKafkaAuth(
        { brokers: ['b-1:9096'], auth: { type: 'scram-sha-512', secretArn: SECRET_ARN } },
        { secrets: awsSecretReader(client) },
      ),
    ).rejects.toThrow(`the Kafka SCRAM secret ${SECRET_ARN} holds no SecretString (a binary secret)`);
  });

  it('turns a missing secret into a ConfigurationError naming it (not retryable)', async () => {
    answer = { status: 400, body: { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." } };
    const error = await awsSecretReader(client)(SECRET_ARN).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      `reading the Kafka SCRAM secret ${SECRET_ARN} failed: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
    );
    expect((error as ConfigurationError).retryable).toBe(false);
    expect((error as ConfigurationError).context).toEqual({ secretArn: SECRET_ARN });
  });

  it('turns a throttle into a retryable TransientError naming the secret', async () => {
    answer = { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
    const error = await awsSecretReader(client)(SECRET_ARN).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(`reading the Kafka SCRAM secret ${SECRET_ARN} failed: ThrottlingException: Rate exceeded`);
  });
});

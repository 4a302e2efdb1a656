/**
 * A Kafka connection's SCRAM credentials from AWS Secrets Manager (the secret an MSK
 * cluster's SCRAM users live in): read once before the first connection, never shown in
 * an error. kafka-config.ts describes and checks the connection; this reads its secret.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { ConfigurationError, describeError, TransientError } from '../../errors.js';
import { isPlainObject } from '../../validation.js';
import { AWS_REGION, checkKafkaConnection, type KafkaClientOptions, type KafkaConnection, type SecretReader } from './kafka-config.js';

/**
 * The connection with SCRAM credentials read from the secret its auth names (through
 * `options.secrets`); any other connection as it is. The secret's content never appears in
 * an error.
 */
export async function resolveKafkaAuth(connection: KafkaConnection, options: KafkaClientOptions = {}): Promise<KafkaConnection> {
  const { auth } = checkKafkaConnection(connection);
  if (!('secretArn' in auth)) return connection;
  const { type, secretArn } = auth;
  const secretString = await (options.secrets ?? readAwsSecret)(secretArn);
  return { ...connection, auth: { type, ...scramCredentialsOf(secretArn, secretString) } };
}

/**
 * A SecretReader on Secrets Manager's GetSecretValue. @aws-sdk/client-secrets-manager is
 * loaded on first use, as the IAM signer is: a deployment without a SCRAM secret never
 * loads it. Without a client, one is created then, in the secret's region (a secret is
 * read from its own region's endpoint), with the default credential chain.
 */
export function awsSecretReader(client?: SecretsManagerClient): SecretReader {
  const created = new Map<string, SecretsManagerClient>();
  return async (secretArn) => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    const region = secretArn.split(':')[3] ?? '';
    let secretsManager = client ?? created.get(region);
    if (secretsManager === undefined) {
      secretsManager = new sdk.SecretsManagerClient({
        ...(AWS_REGION.test(region) ? { region } : {}),
        // A function in a VPC with no route to Secrets Manager (no NAT, no interface
        // endpoint) fails in seconds, naming the secret, instead of hanging until its timeout.
        requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
      });
      created.set(region, secretsManager);
    }
    try {
      return (await secretsManager.send(new sdk.GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = `reading the Kafka SCRAM secret ${secretArn} failed: ${describeError(error)}`;
      const options = { cause: error, context: { secretArn } };
      // A missing secret or grant, or a key Secrets Manager may not use, stays so on retry:
      // the deployment's configuration is wrong.
      throw SECRET_ERRORS_NOT_RETRYABLE.has(name) ? new ConfigurationError(message, options) : new TransientError(message, options);
    }
  };
}

const SECRET_ERRORS_NOT_RETRYABLE = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
]);

/** The credentials in a secret's SecretString. No message quotes the content: only what is wrong with it. */
function scramCredentialsOf(secretArn: string, secretString: string | undefined): { username: string; password: string } {
  const bad = (problem: string) =>
    new ConfigurationError(
      `the Kafka SCRAM secret ${secretArn} ${problem}: its SecretString must be JSON {"username":"...","password":"..."}`,
      { context: { field: 'kafka.auth.secretArn', secretArn } },
    );
  if (secretString === undefined) throw bad('holds no SecretString (a binary secret)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // Not JSON.parse's message (nor its error as the cause): V8 quotes the text it could not parse.
    throw bad('is not JSON');
  }
  if (!isPlainObject(parsed)) throw bad('is not a JSON object');
  // Not engine/validation.ts's messages: they show values, and these are credentials.
  const credentials = ScramSecret.safeParse(parsed);
  if (credentials.success) return credentials.data;
  const missing = [...new Set(credentials.error.issues.map((issue) => String(issue.path[0])))];
  throw bad(`has no non-empty string ${missing.join(' or ')}`);
}

const readAwsSecret = awsSecretReader();

const ScramSecret = z.object({ username: z.string().min(1), password: z.string().min(1) });

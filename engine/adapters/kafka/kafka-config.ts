/**
 * How the engine connects to a Kafka cluster: brokers, TLS and authentication, checked
 * with clear errors and turned into a kafkajs client configuration.
 *
 * Amazon MSK listens on one port per way of authenticating (docs/kafka.md):
 *
 *   9092  plaintext, no authentication          { auth: { type: 'none' }, tls: false }
 *   9094  TLS, no authentication                { auth: { type: 'none' }, tls: true }
 *   9096  TLS + SASL/SCRAM-SHA-512              { auth: { type: 'scram-sha-512', secretArn } }
 *                                               or { auth: { type: 'scram-sha-512', username, password } }
 *   9098  TLS + IAM (SASL/OAUTHBEARER)          { auth: { type: 'iam', region } }
 *
 * IAM authentication signs a token with the AWS credentials of the process (a Lambda's
 * execution role) through aws-msk-iam-sasl-signer-js, handed to kafkajs's `oauthbearer`
 * mechanism; kafkajs asks for a fresh token on every connection and re-authentication.
 * MSK keeps SCRAM credentials in Secrets Manager (a secret named AmazonMSK_..., encrypted
 * with a customer managed key, SecretString {"username":"...","password":"..."}): with
 * `secretArn`, the secret is read once, before the first connection (resolveKafkaAuth),
 * so the password never sits in the configuration or the environment.
 * TLS uses Node's default CA bundle (MSK's certificates are publicly trusted) unless `ca`
 * is given.
 */
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, LogEntry, SASLOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import { z } from 'zod';
import { ConfigurationError, InvariantError } from '../../errors.js';
import type { Logger } from '../../ports/index.js';
import { expecting, parse, show, type ParseOptions } from '../../validation.js';
import { KAFKA_ENV } from './kafka-env.js';

export type ScramMechanism = 'scram-sha-512' | 'scram-sha-256';

export type KafkaAuth =
  | { readonly type: 'none' }
  | { readonly type: ScramMechanism; readonly username: string; readonly password: string }
  /** SCRAM with the credentials in a Secrets Manager secret, read by resolveKafkaAuth. */
  | { readonly type: ScramMechanism; readonly secretArn: string }
  | { readonly type: 'iam'; readonly region: string };

export interface KafkaTls {
  /** PEM certificate authorities to trust instead of Node's defaults (a private CA). */
  readonly ca?: string;
  /** The name to check the broker's certificate against, when it differs from the host. */
  readonly servername?: string;
}

export interface KafkaConnection {
  /** Bootstrap brokers, `host:port` (MSK: the bootstrap string of the chosen listener). */
  readonly brokers: readonly string[];
  /** Default 'sluice'. Shows in broker logs and quotas. */
  readonly clientId?: string;
  /** TLS: true or settings; false for plaintext. Default: on whenever `auth` is not 'none'. */
  readonly tls?: boolean | KafkaTls;
  /** Default { type: 'none' }. */
  readonly auth?: KafkaAuth;
  /** TCP connect timeout (default 3,000 ms; kafkajs's own default, 1 s, is short for TLS + IAM). */
  readonly connectionTimeoutMs?: number;
  /** Timeout of one request (default 30,000 ms). */
  readonly requestTimeoutMs?: number;
}

/** What the IAM signer returns (aws-msk-iam-sasl-signer-js's generateAuthToken). */
export type MskTokenSigner = (options: { region: string }) => Promise<{ token: string; expiryTime: number }>;

/**
 * Reads a secret's SecretString; undefined when the secret holds none (a binary secret).
 * The default is awsSecretReader().
 */
export type SecretReader = (secretArn: string) => Promise<string | undefined>;

export interface KafkaClientOptions {
  /** Replaces aws-msk-iam-sasl-signer-js's generateAuthToken (tests). */
  readonly signer?: MskTokenSigner;
  /** Reads the SCRAM secret of `auth.secretArn` (default: Secrets Manager's GetSecretValue). */
  readonly secrets?: SecretReader;
  /** Where kafkajs's warnings and errors go (default: nowhere; failures surface as errors anyway). */
  readonly logger?: Logger;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):([0-9]{1,5})$/;
/** An AWS region's name (eu-west-1). */
export const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** Problems name their field from the connection: "kafka.brokers[1] must be host:port, got ...". */
const KAFKA: ParseOptions = { name: 'kafka', qualified: true, error: ConfigurationError };

/** `schema`, or `fallback` when the value is absent or null (a JSON configuration may write null). */
function withDefault<S extends z.ZodType>(schema: S, fallback: z.input<S>) {
  return z.preprocess((value) => value ?? undefined, schema.default(fallback as never));
}

const broker = expecting(
  'host:port',
  z.string().refine((value) => {
    const match = HOST_PORT.exec(value);
    return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65_535;
  }),
);
const awsRegion = expecting('an AWS region such as eu-west-1', z.string().regex(AWS_REGION));
const secretArn = expecting(
  'a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
  z.string().regex(SECRET_ARN),
);
const SCRAM_MECHANISMS = ['scram-sha-512', 'scram-sha-256'] as const;
const USERNAME = 'a non-empty string (or give secretArn instead)';

/** SCRAM takes credentials one way: a secret, or a username and password (the password is never shown). */
const scramAuth = z
  .object({
    type: z.enum(SCRAM_MECHANISMS),
    secretArn: secretArn.optional(),
    username: expecting(USERNAME, z.string().min(1)).optional(),
    password: z.string({ error: 'must be a non-empty string' }).min(1).optional(),
  })
  .superRefine((auth, ctx) => {
    if (auth.secretArn !== undefined) {
      if (auth.username !== undefined || auth.password !== undefined)
        ctx.addIssue({ code: 'custom', message: 'takes secretArn or username and password, not both' });
      return;
    }
    if (auth.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: `must be ${USERNAME}, got undefined` });
    if (auth.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'must be a non-empty string' });
  })
  .transform(
    ({ type, secretArn, username, password }): KafkaAuth =>
      secretArn !== undefined ? { type, secretArn } : { type, username: username!, password: password! },
  );

const auth = expecting(
  'an object with a type',
  z.discriminatedUnion(
    'type',
    [z.object({ type: z.literal('none') }), scramAuth, z.object({ type: z.literal('iam'), region: awsRegion })],
    {
      error: (issue) =>
        issue.code === 'invalid_union'
          ? `must be 'none', 'scram-sha-512', 'scram-sha-256' or 'iam', got ${show((issue.input as Record<string, unknown>).type)}`
          : undefined,
    },
  ),
);

const tls = expecting(
  'true, false or { ca?, servername? }',
  z.union([
    z.boolean(),
    z.strictObject(
      {
        ca: z
          .string({ error: 'must be PEM certificates (-----BEGIN CERTIFICATE-----...)' })
          .includes('-----BEGIN CERTIFICATE-----')
          .optional(),
        servername: expecting('a host name', z.string().min(1)).optional(),
      },
      { error: (issue) => (issue.code === 'unrecognized_keys' ? 'is not a TLS setting (known: ca, servername)' : undefined) },
    ),
  ]),
);

const milliseconds = (fallback: number) => withDefault(expecting('a positive integer of milliseconds', z.number().int().min(1)), fallback);

const KafkaConnectionSchema = expecting(
  'an object with brokers',
  z.object({
    brokers: expecting('a non-empty list of host:port', z.array(broker).min(1)),
    clientId: withDefault(expecting('1-100 of a-z A-Z 0-9 . _ -', z.string().regex(/^[a-zA-Z0-9._-]{1,100}$/)), 'sluice'),
    auth: withDefault(auth, { type: 'none' }),
    tls: tls.nullish(),
    connectionTimeoutMs: milliseconds(3_000),
    requestTimeoutMs: milliseconds(30_000),
  }),
)
  .superRefine((c, ctx) => {
    if (c.tls === false && c.auth.type === 'iam') {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'must not be false with IAM authentication: MSK serves IAM on its TLS listener (port 9098)',
      });
    }
  })
  // TLS is on whenever there is authentication, unless it says otherwise.
  .transform(({ tls: given, ...c }) => {
    const on = given ?? c.auth.type !== 'none';
    return { ...c, tls: on === false ? (false as const) : on === true ? {} : on };
  });

/** Checks a connection and fills in its defaults; every problem names the field. */
export function checkKafkaConnection(value: unknown): Required<Omit<KafkaConnection, 'tls'>> & { tls: false | KafkaTls } {
  return parse(KafkaConnectionSchema, value, KAFKA);
}

/** The kafkajs configuration of a connection whose credentials are known (see resolveKafkaAuth). */
export function kafkaClientConfig(connection: KafkaConnection, options: KafkaClientOptions = {}): KafkaConfig {
  const c = checkKafkaConnection(connection);
  const ssl: boolean | ConnectionOptions =
    c.tls === false ? false : c.tls.ca === undefined && c.tls.servername === undefined ? true : { ...c.tls };
  const sasl = saslOf(c.auth, options.signer ?? generateMskToken);
  return {
    brokers: [...c.brokers],
    clientId: c.clientId,
    ssl,
    ...(sasl === undefined ? {} : { sasl }),
    connectionTimeout: c.connectionTimeoutMs,
    requestTimeout: c.requestTimeoutMs,
    // Retries inside kafkajs stay short: the engine's steps are retried as a whole.
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: options.logger === undefined ? kafkajs.logLevel.NOTHING : kafkajs.logLevel.WARN,
    ...(options.logger === undefined ? {} : { logCreator: logCreatorOf(options.logger) }),
  };
}

/** kafkajs's `oauthbearer` provider for MSK IAM: a token signed for the region, asked for on every (re)authentication. */
export function mskIamTokenProvider(region: string, sign: MskTokenSigner = generateMskToken): () => Promise<{ value: string }> {
  parse(awsRegion, region, { name: 'kafka.auth.region', error: ConfigurationError });
  return async () => {
    const { token } = await sign({ region });
    return { value: token };
  };
}

/**
 * aws-msk-iam-sasl-signer-js's generateAuthToken (the default credential chain), loaded on
 * first use: it brings the STS client and the credential providers, which a deployment
 * without IAM authentication never needs.
 */
const generateMskToken: MskTokenSigner = async (options) => {
  const signer = await import('aws-msk-iam-sasl-signer-js');
  return (signer.default ?? signer).generateAuthToken(options);
};

/** Environment variables a Lambda reads its Kafka connection from: one list, in kafka-env.ts (CDK loads it without the Kafka client). */
export { KAFKA_ENV };

/**
 * The connection described by the environment, or null when SLUICE_KAFKA_BROKERS is not
 * set (the deployment reads no Kafka topic):
 *   SLUICE_KAFKA_BROKERS   comma-separated host:port
 *   SLUICE_KAFKA_AUTH      none | scram-sha-512 | scram-sha-256 | iam (default none)
 *   SLUICE_KAFKA_SECRET_ARN   with scram-*: the Secrets Manager secret of the credentials, or
 *   SLUICE_KAFKA_USERNAME, SLUICE_KAFKA_PASSWORD   with scram-*: the credentials themselves
 *   SLUICE_KAFKA_TLS       true | false (default: true unless auth is none)
 *   SLUICE_KAFKA_CLIENT_ID (default sluice)
 *   AWS_REGION             with iam (Lambda sets it)
 */
export function kafkaConnectionFromEnv(env: Readonly<Record<string, string | undefined>>): KafkaConnection | null {
  const brokers = env[KAFKA_ENV.brokers];
  if (brokers === undefined || brokers.trim() === '') return null;
  const connection = parse(KafkaEnvironment, env, KAFKA_ENVIRONMENT);
  checkKafkaConnection(connection);
  return connection;
}

/** A variable names itself ("environment variable SLUICE_KAFKA_TLS must be ..."); a rule about several says which. */
const KAFKA_ENVIRONMENT: ParseOptions = {
  name: '',
  error: ConfigurationError,
  describe: (p) => (p.field === '' ? p.message : `environment variable ${p.field} ${p.message}`),
};

/** An empty variable counts as unset (a template that leaves it blank). */
const variable = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

const KafkaEnvironment = z
  .object({
    [KAFKA_ENV.brokers]: z.string(),
    [KAFKA_ENV.auth]: expecting('none, scram-sha-512, scram-sha-256 or iam', z.enum(['none', ...SCRAM_MECHANISMS, 'iam'])).default('none'),
    [KAFKA_ENV.tls]: expecting('true or false', z.enum(['true', 'false'])).optional(),
    [KAFKA_ENV.clientId]: variable,
    [KAFKA_ENV.secretArn]: variable,
    [KAFKA_ENV.username]: variable,
    [KAFKA_ENV.password]: variable,
    [KAFKA_ENV.region]: variable,
  })
  .superRefine((e, ctx) => {
    const type = e[KAFKA_ENV.auth];
    const missing = (name: string, why: string) => ctx.addIssue({ code: 'custom', path: [name], message: `must be set ${why}` });
    if (type === 'iam') {
      if (e[KAFKA_ENV.region] === undefined) missing(KAFKA_ENV.region, 'with IAM authentication');
    } else if (type !== 'none') {
      const credentials = [KAFKA_ENV.username, KAFKA_ENV.password] as const;
      const given = credentials.filter((name) => e[name] !== undefined);
      if (e[KAFKA_ENV.secretArn] !== undefined && given.length > 0) {
        const message = `environment variables ${KAFKA_ENV.secretArn} and ${KAFKA_ENV.username}/${KAFKA_ENV.password} are both set: give the SCRAM credentials one way only`;
        ctx.addIssue({ code: 'custom', message });
      } else if (e[KAFKA_ENV.secretArn] === undefined && given.length === 0) {
        const message = `environment variable ${KAFKA_ENV.secretArn}, or ${KAFKA_ENV.username} and ${KAFKA_ENV.password}, must be set with ${type}`;
        ctx.addIssue({ code: 'custom', message });
      } else if (e[KAFKA_ENV.secretArn] === undefined) {
        for (const name of credentials) if (e[name] === undefined) missing(name, `with ${type}`);
      }
    }
  })
  .transform((e): KafkaConnection => {
    const type = e[KAFKA_ENV.auth];
    const secret = e[KAFKA_ENV.secretArn];
    const auth: KafkaAuth =
      type === 'none'
        ? { type }
        : type === 'iam'
          ? { type, region: e[KAFKA_ENV.region]! }
          : secret !== undefined
            ? { type, secretArn: secret }
            : { type, username: e[KAFKA_ENV.username]!, password: e[KAFKA_ENV.password]! };
    const tls = e[KAFKA_ENV.tls];
    const clientId = e[KAFKA_ENV.clientId];
    return {
      brokers: e[KAFKA_ENV.brokers]
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b !== ''),
      auth,
      ...(tls === undefined ? {} : { tls: tls === 'true' }),
      ...(clientId === undefined ? {} : { clientId }),
    };
  });

function saslOf(auth: KafkaAuth, sign: MskTokenSigner): SASLOptions | undefined {
  switch (auth.type) {
    case 'none':
      return undefined;
    case 'scram-sha-512':
    case 'scram-sha-256':
      // An unread secret must never reach kafkajs (which would try SCRAM without a password).
      if ('secretArn' in auth) {
        throw new InvariantError('kafka.auth.secretArn names a secret that was not read: resolve the connection first (resolveKafkaAuth)', {
          context: { field: 'kafka.auth.secretArn' },
        });
      }
      return { mechanism: auth.type, username: auth.username, password: auth.password };
    case 'iam':
      return { mechanism: 'oauthbearer', oauthBearerProvider: mskIamTokenProvider(auth.region, sign) };
  }
}

function logCreatorOf(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry): void => {
      const { message, ...fields } = log;
      const line = `kafkajs: ${message}`;
      if (level <= kafkajs.logLevel.ERROR) logger.error(line, fields);
      else logger.warn(line, fields);
    };
}

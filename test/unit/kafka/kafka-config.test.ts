import { describe, expect, it } from 'vitest';
import {
  checkKafkaConnection,
  kafkaClientConfig,
  kafkaConnectionFromEnv,
  mskIamTokenProvider,
  type KafkaConnection,
  type MskTokenSigner,
  type SecretReader,
} from '../../../engine/adapters/kafka/kafka-config.js';
import { resolveKafkaAuth } from '../../../engine/adapters/kafka/kafka-secrets.js';
import { ConfigurationError, InvariantError } from '../../../engine/errors.js';

const MSK = ['b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com:9098', 'b-2.demo.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'];
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_sluice-AbCdEf';

/** The error a call throws (or rejects with), to check its class and that it leaks nothing. */
async function errorOf(call: () => unknown): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('kafkaClientConfig: the kafkajs configuration of a connection', () => {
  it('plaintext without authentication (the local mock cluster)', () => {
    const config = kafkaClientConfig({ brokers: ['127.0.0.1:40001'] });
    expect(config).toMatchObject({
      brokers: ['127.0.0.1:40001'],
      clientId: 'sluice',
      ssl: false,
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
    });
    expect(config).not.toHaveProperty('sasl');
  });

  it('TLS without authentication (MSK port 9094), with a private CA and server name when given', () => {
    expect(kafkaClientConfig({ brokers: ['b-1:9094'], tls: true }).ssl).toBe(true);
    expect(kafkaClientConfig({ brokers: ['b-1:9094'], tls: { ca: PEM, servername: 'kafka.internal' } }).ssl).toEqual({
      ca: PEM,
      servername: 'kafka.internal',
    });
  });

  it('SASL/SCRAM (MSK port 9096): TLS on by default, off only when asked', () => {
    const scram: KafkaConnection = { brokers: ['b-1:9096'], auth: { type: 'scram-sha-512', username: 'alice', password: 's3cret' } };
    expect(kafkaClientConfig(scram)).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 's3cret' },
    });
    expect(kafkaClientConfig({ ...scram, tls: false, auth: { type: 'scram-sha-256', username: 'a', password: 'b' } })).toMatchObject({
      ssl: false,
      sasl: { mechanism: 'scram-sha-256' },
    });
  });

  it('IAM (MSK port 9098): TLS and an oauthbearer provider that signs a token for the region on every call', async () => {
    const calls: { region: string }[] = [];
    let n = 0;
    const signer: MskTokenSigner = async (options) => {
      calls.push(options);
      n += 1;
      return { token: `token-${n}`, expiryTime: 1_700_000_900_000 };
    };
    const config = kafkaClientConfig({ brokers: MSK, clientId: 'page-views', auth: { type: 'iam', region: 'eu-west-1' } }, { signer });
    expect(config).toMatchObject({ brokers: MSK, clientId: 'page-views', ssl: true, sasl: { mechanism: 'oauthbearer' } });
    const sasl = config.sasl as { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<{ value: string }> };
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'token-1' });
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'token-2' });
    expect(calls).toEqual([{ region: 'eu-west-1' }, { region: 'eu-west-1' }]);
  });

  it('signs with aws-msk-iam-sasl-signer-js by default: a presigned kafka-cluster:Connect URL for the region', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    delete process.env.AWS_SESSION_TOKEN;
    try {
      const { value } = await mskIamTokenProvider('eu-west-1')();
      const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));
      expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
        ['AWS_SESSION_TOKEN', saved.token],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('passes a signing failure on to kafkajs (which fails the connection)', async () => {
    const provider = mskIamTokenProvider('us-east-1', async () => {
      throw new Error('no credentials');
    });
    await expect(provider()).rejects.toThrow('no credentials');
  });

  it.each([
    [{ brokers: [] }, 'kafka.brokers must be a non-empty list of host:port, got []'],
    [{ brokers: 'b-1:9092' }, 'kafka.brokers must be a non-empty list of host:port, got "b-1:9092"'],
    [{ brokers: ['b-1'] }, 'kafka.brokers[0] must be host:port, got "b-1"'],
    [{ brokers: ['b-1:9092', 'b-2:70000'] }, 'kafka.brokers[1] must be host:port, got "b-2:70000"'],
    [{ brokers: ['b:1'], clientId: 'has space' }, 'kafka.clientId must be 1-100 of a-z A-Z 0-9 . _ -, got "has space"'],
    [
      { brokers: ['b:1'], auth: { type: 'plain' } },
      "kafka.auth.type must be 'none', 'scram-sha-512', 'scram-sha-256' or 'iam', got \"plain\"",
    ],
    [{ brokers: ['b:1'], auth: { type: 'scram-sha-512', username: 'a' } }, 'kafka.auth.password must be a non-empty string'],
    [
      { brokers: ['b:1'], auth: { type: 'scram-sha-512', password: 'p' } },
      'kafka.auth.username must be a non-empty string (or give secretArn instead), got undefined',
    ],
    [
      { brokers: ['b:1'], auth: { type: 'scram-sha-512', secretArn: SECRET_ARN, username: 'u' } },
      'kafka.auth takes secretArn or username and password, not both',
    ],
    [
      { brokers: ['b:1'], auth: { type: 'scram-sha-512', secretArn: 'AmazonMSK_sluice' } },
      'kafka.auth.secretArn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), got "AmazonMSK_sluice"',
    ],
    [
      { brokers: ['b:1'], auth: { type: 'scram-sha-512', secretArn: 'arn:aws:secretsmanager:eu-west-1:1234:secret:AmazonMSK_x' } },
      'kafka.auth.secretArn must be a Secrets Manager secret ARN',
    ],
    [
      { brokers: ['b:1'], auth: { type: 'scram-sha-512', secretArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd' } },
      'kafka.auth.secretArn must be a Secrets Manager secret ARN',
    ],
    [
      { brokers: ['b:1'], auth: { type: 'scram-sha-256', secretArn: 42 } },
      'kafka.auth.secretArn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), got 42',
    ],
    [{ brokers: ['b:1'], auth: { type: 'iam' } }, 'kafka.auth.region must be an AWS region such as eu-west-1, got undefined'],
    [
      { brokers: ['b:1'], auth: { type: 'iam', region: 'Ireland' } },
      'kafka.auth.region must be an AWS region such as eu-west-1, got "Ireland"',
    ],
    [{ brokers: ['b:1'], auth: { type: 'iam', region: 'eu-west-1' }, tls: false }, 'kafka.tls must not be false with IAM authentication'],
    [{ brokers: ['b:1'], tls: { ca: 'not a pem' } }, 'kafka.tls.ca must be PEM certificates'],
    [{ brokers: ['b:1'], tls: { rejectUnauthorized: false } }, 'kafka.tls.rejectUnauthorized is not a TLS setting (known: ca, servername)'],
    [{ brokers: ['b:1'], requestTimeoutMs: 0 }, 'kafka.requestTimeoutMs must be a positive integer of milliseconds, got 0'],
    [null, 'kafka must be an object with brokers, got null'],
  ])('rejects %j', (connection, message) => {
    const error = (() => {
      try {
        checkKafkaConnection(connection);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(message);
  });

  it('never puts the SCRAM password in an error message', () => {
    expect(() => checkKafkaConnection({ brokers: ['nope'], auth: { type: 'scram-sha-512', username: 'u', password: 'hunter2' } })).toThrow(
      /^(?!.*hunter2)/,
    );
  });

  it('accepts SCRAM credentials named by a Secrets Manager secret, in any partition', () => {
    for (const secretArn of [
      SECRET_ARN,
      'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:team/AmazonMSK_a+b=c.d@e-123456',
    ]) {
      expect(checkKafkaConnection({ brokers: ['b-1:9096'], auth: { type: 'scram-sha-512', secretArn } })).toMatchObject({
        auth: { type: 'scram-sha-512', secretArn },
        tls: {},
      });
    }
  });

  it('refuses a connection whose SCRAM secret was not read: it must never reach kafkajs', async () => {
    const error = await errorOf(() => kafkaClientConfig({ brokers: ['b-1:9096'], auth: { type: 'scram-sha-512', secretArn: SECRET_ARN } }));
    expect(error).toBeInstanceOf(InvariantError);
    expect(error.message).toBe('kafka.auth.secretArn names a secret that was not read: resolve the connection first (resolveKafkaAuth)');
  });
});

describe('resolveKafkaAuth: SCRAM credentials from their secret', () => {
  const connection: KafkaConnection = { brokers: ['b-1:9096'], clientId: 'views', auth: { type: 'scram-sha-512', secretArn: SECRET_ARN } };
  const readerOf = (secretString: string | undefined) => {
    const asked: string[] = [];
    const reader: SecretReader = async (arn) => {
      asked.push(arn);
      return secretString;
    };
    return { reader, asked };
  };

  it('reads the secret it names and gives kafkajs its user name and password', async () => {
    const { reader, asked } = readerOf(JSON.stringify({ username: 'alice', password: 'hunter2', engine: 'ignored' }));
    const resolved = await resolveKafkaAuth(connection, { secrets: reader });
    expect(asked).toEqual([SECRET_ARN]);
    expect(resolved).toEqual({
      brokers: ['b-1:9096'],
      clientId: 'views',
      auth: { type: 'scram-sha-512', username: 'alice', password: 'hunter2' },
    });
    expect(kafkaClientConfig(resolved)).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'hunter2' },
    });
  });

  it('leaves every other connection as it is, reading nothing', async () => {
    const { reader, asked } = readerOf('{}');
    for (const other of [
      { brokers: ['b:9092'] },
      { brokers: ['b:9096'], auth: { type: 'scram-sha-256', username: 'u', password: 'p' } },
      { brokers: MSK, auth: { type: 'iam', region: 'eu-west-1' } },
    ] as KafkaConnection[]) {
      expect(await resolveKafkaAuth(other, { secrets: reader })).toBe(other);
    }
    expect(asked).toEqual([]);
  });

  it.each([
    ['hunter2 is not json', 'is not JSON'],
    ['"hunter2"', 'is not a JSON object'],
    ['["reader-x7","hunter2"]', 'is not a JSON object'],
    ['{"username":"reader-x7"}', 'has no non-empty string password'],
    ['{"user":"reader-x7","password":"hunter2"}', 'has no non-empty string username'],
    ['{"username":"","pass":"hunter2"}', 'has no non-empty string username or password'],
    ['{"username":"reader-x7","password":987654321}', 'has no non-empty string password'],
    [undefined, 'holds no SecretString (a binary secret)'],
  ])('refuses the secret %j, naming it and what is wrong, never its content', async (secretString, problem) => {
    const error = await errorOf(() => resolveKafkaAuth(connection, { secrets: readerOf(secretString).reader }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(
      `the Kafka SCRAM secret ${SECRET_ARN} ${problem}: its SecretString must be JSON {"username":"...","password":"..."}`,
    );
    expect(
      JSON.stringify({ message: error.message, context: (error as ConfigurationError).context, cause: String(error.cause) }),
    ).not.toMatch(/hunter2|reader-x7|987654321/);
  });

  it("passes the reader's failure on", async () => {
    const reader: SecretReader = async () => {
      throw new Error('throttled');
    };
    await expect(resolveKafkaAuth(connection, { secrets: reader })).rejects.toThrow('throttled');
  });
});

describe('kafkaConnectionFromEnv', () => {
  it('is null when no brokers are configured', () => {
    expect(kafkaConnectionFromEnv({})).toBeNull();
    expect(kafkaConnectionFromEnv({ SLUICE_KAFKA_BROKERS: ' ' })).toBeNull();
  });

  it('reads IAM with the Lambda region, SCRAM with credentials, and plain settings', () => {
    expect(
      kafkaConnectionFromEnv({ SLUICE_KAFKA_BROKERS: `${MSK[0]}, ${MSK[1]}`, SLUICE_KAFKA_AUTH: 'iam', AWS_REGION: 'eu-west-1' }),
    ).toEqual({
      brokers: MSK,
      auth: { type: 'iam', region: 'eu-west-1' },
    });
    expect(
      kafkaConnectionFromEnv({
        SLUICE_KAFKA_BROKERS: 'b-1:9096',
        SLUICE_KAFKA_AUTH: 'scram-sha-512',
        SLUICE_KAFKA_USERNAME: 'alice',
        SLUICE_KAFKA_PASSWORD: 'pw',
        SLUICE_KAFKA_CLIENT_ID: 'views',
      }),
    ).toEqual({ brokers: ['b-1:9096'], auth: { type: 'scram-sha-512', username: 'alice', password: 'pw' }, clientId: 'views' });
    expect(kafkaConnectionFromEnv({ SLUICE_KAFKA_BROKERS: 'b-1:9094', SLUICE_KAFKA_TLS: 'true' })).toEqual({
      brokers: ['b-1:9094'],
      auth: { type: 'none' },
      tls: true,
    });
  });

  it('reads SCRAM from a secret, named by SLUICE_KAFKA_SECRET_ARN', () => {
    expect(
      kafkaConnectionFromEnv({
        SLUICE_KAFKA_BROKERS: 'b-1:9096,b-2:9096',
        SLUICE_KAFKA_AUTH: 'scram-sha-512',
        SLUICE_KAFKA_SECRET_ARN: SECRET_ARN,
        SLUICE_KAFKA_TLS: 'true',
      }),
    ).toEqual({ brokers: ['b-1:9096', 'b-2:9096'], auth: { type: 'scram-sha-512', secretArn: SECRET_ARN }, tls: true });
    // Empty variables count as unset (a template that leaves them blank).
    expect(
      kafkaConnectionFromEnv({
        SLUICE_KAFKA_BROKERS: 'b:9096',
        SLUICE_KAFKA_AUTH: 'scram-sha-256',
        SLUICE_KAFKA_SECRET_ARN: SECRET_ARN,
        SLUICE_KAFKA_USERNAME: '',
      }),
    ).toEqual({ brokers: ['b:9096'], auth: { type: 'scram-sha-256', secretArn: SECRET_ARN } });
  });

  it.each([
    [{ SLUICE_KAFKA_BROKERS: 'b:1', SLUICE_KAFKA_AUTH: 'iam' }, 'environment variable AWS_REGION must be set with IAM authentication'],
    [
      { SLUICE_KAFKA_BROKERS: 'b:1', SLUICE_KAFKA_AUTH: 'scram-sha-512' },
      'environment variable SLUICE_KAFKA_SECRET_ARN, or SLUICE_KAFKA_USERNAME and SLUICE_KAFKA_PASSWORD, must be set with scram-sha-512',
    ],
    [
      { SLUICE_KAFKA_BROKERS: 'b:1', SLUICE_KAFKA_AUTH: 'scram-sha-512', SLUICE_KAFKA_USERNAME: 'u' },
      'environment variable SLUICE_KAFKA_PASSWORD must be set with scram-sha-512',
    ],
    [
      {
        SLUICE_KAFKA_BROKERS: 'b:1',
        SLUICE_KAFKA_AUTH: 'scram-sha-512',
        SLUICE_KAFKA_SECRET_ARN: SECRET_ARN,
        SLUICE_KAFKA_PASSWORD: 'hunter2',
      },
      'environment variables SLUICE_KAFKA_SECRET_ARN and SLUICE_KAFKA_USERNAME/SLUICE_KAFKA_PASSWORD are both set: give the SCRAM credentials one way only',
    ],
    [
      { SLUICE_KAFKA_BROKERS: 'b:1', SLUICE_KAFKA_AUTH: 'scram-sha-512', SLUICE_KAFKA_SECRET_ARN: 'AmazonMSK_sluice' },
      'kafka.auth.secretArn must be a Secrets Manager secret ARN',
    ],
    [
      { SLUICE_KAFKA_BROKERS: 'b:1', SLUICE_KAFKA_AUTH: 'kerberos' },
      'SLUICE_KAFKA_AUTH must be none, scram-sha-512, scram-sha-256 or iam, got "kerberos"',
    ],
    [{ SLUICE_KAFKA_BROKERS: 'b:1', SLUICE_KAFKA_TLS: 'yes' }, 'SLUICE_KAFKA_TLS must be true or false, got "yes"'],
    [{ SLUICE_KAFKA_BROKERS: 'b:1,oops' }, 'kafka.brokers[1] must be host:port, got "oops"'],
  ])('rejects %j', (env, message) => {
    expect(() => kafkaConnectionFromEnv(env)).toThrow(ConfigurationError);
    expect(() => kafkaConnectionFromEnv(env)).toThrow(message);
  });
});

/**
 * SDK clients for the AWS adapters. Without endpoints they are plain SDK clients (the
 * default credential chain, the region from the environment). With an endpoint they get
 * what the local stand-ins need (../shared/notes/local-aws.md):
 * - kinesalite: HTTP/1.1 (the v3 Kinesis client speaks HTTP/2 by default and fails).
 * - s3rver: path-style URLs, the S3RVER/S3RVER credentials, and checksums only when an
 *   operation requires them (otherwise stream bodies are stored with aws-chunked framing).
 * - any local endpoint: dummy credentials, so no credential chain is consulted.
 *
 * Retries: one layer per failure, so that attempts never multiply.
 * - The SDK retries every call that fails as a whole with a throttle, a network error or
 *   a 5xx: its defaults, left as they are (retryMode 'standard', maxAttempts 3 in all,
 *   jittered backoff and a retry quota; AWS_MAX_ATTEMPTS and AWS_RETRY_MODE may change
 *   them for a deployment).
 * - Our loops (engine/retry.ts) retry only what the SDK cannot see or must not repeat on
 *   its own: items a successful response left undone (BatchWriteItem UnprocessedItems,
 *   failed PutRecords entries), a transaction cancelled by a conflicting one, an expired
 *   Kinesis iterator (a new one must be taken first). A call the SDK gave up on is not
 *   sent again by them; the one loop that also meets throttles (KinesisSourceReader)
 *   retries a throttle only when the SDK did not (`retriedBySdk`: a client configured with
 *   maxAttempts 1), so a throttled read costs at most the SDK's attempts.
 * - What is left becomes a TransientError, which the state machines retry as a whole task
 *   (infra/state-machines/definitions.ts): the outermost layer, with its own backoff.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsConfig {
  readonly region?: string;
  readonly endpoints?: { readonly dynamodb?: string; readonly kinesis?: string; readonly s3?: string };
  /** Explicit credentials for every client; overrides the local defaults and the credential chain. */
  readonly credentials?: AwsCredentials;
}

export interface AwsClients {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
}

const LOCAL_REGION = 'us-east-1';
const LOCAL_CREDENTIALS: AwsCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const S3RVER_CREDENTIALS: AwsCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function createAwsClients(config: AwsConfig = {}): AwsClients {
  const endpoints = config.endpoints ?? {};
  const anyLocal = endpoints.dynamodb !== undefined || endpoints.kinesis !== undefined || endpoints.s3 !== undefined;
  // A local endpoint needs a region too; real AWS takes it from the environment when unset.
  const region = config.region ?? (anyLocal ? (process.env.AWS_REGION ?? LOCAL_REGION) : undefined);
  const base = (endpoint: string | undefined, localCredentials: AwsCredentials) => ({
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(config.credentials !== undefined
      ? { credentials: config.credentials }
      : endpoint !== undefined
        ? { credentials: localCredentials }
        : {}),
  });

  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(base(endpoints.dynamodb, LOCAL_CREDENTIALS)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const kinesis = new KinesisClient({
    ...base(endpoints.kinesis, LOCAL_CREDENTIALS),
    ...(endpoints.kinesis === undefined ? {} : { requestHandler: new NodeHttpHandler() }),
  });
  const s3 = new S3Client({
    ...base(endpoints.s3, S3RVER_CREDENTIALS),
    ...(endpoints.s3 === undefined
      ? {}
      : {
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }),
  });
  return { dynamodb, kinesis, s3 };
}

/** The config that points every client at the local stand-ins (local/stand-ins.ts). */
export function localAwsConfig(endpoints: { dynamodb: string; kinesis: string; s3: string }, region = LOCAL_REGION): AwsConfig {
  return { region, endpoints: { ...endpoints } };
}

export function destroyAwsClients(clients: AwsClients): void {
  clients.dynamodb.destroy();
  clients.kinesis.destroy();
  clients.s3.destroy();
}

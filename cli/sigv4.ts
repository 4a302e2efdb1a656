/**
 * SigV4 signing of jobs API requests, for an HTTP API whose routes use IAM authorization
 * (service `execute-api`): the SDK's own signer (@smithy/signature-v4), SHA-256 from
 * node:crypto, and credentials from the SDK's default chain (environment, profile, SSO,
 * container or instance role): one provider per process, resolved on first use and kept
 * until the credentials expire (a `--wait` that polls for an hour asks STS once an hour,
 * not once a request).
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, Provider, SourceData } from '@smithy/types';

export interface SigningOptions {
  readonly region: string;
  /** Default: the SDK's default credential chain. */
  readonly credentials?: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  /** Default execute-api. */
  readonly service?: string;
  /** The signing time (tests). */
  readonly now?: Date;
}

export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** The headers to send: the request's, plus host, x-amz-date, authorization (and the session token). */
export async function signRequest(request: RequestToSign, options: SigningOptions): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials ?? defaultCredentials(),
    sha256: NodeSha256,
    // The payload's hash is part of the signature either way; execute-api needs no x-amz-content-sha256 header.
    applyChecksum: false,
  });
  const { url } = request;
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...[seen].flat(), value];
  }
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: { ...request.headers, host: url.host },
      ...(request.body === undefined ? {} : { body: request.body }),
    },
    options.now === undefined ? {} : { signingDate: options.now },
  );
  return signed.headers;
}

let processCredentials: Provider<AwsCredentialIdentity> | undefined;

/** The SDK's default credential chain, one for the process (it caches what it resolves until it expires). */
export function defaultCredentials(): Provider<AwsCredentialIdentity> {
  processCredentials ??= defaultProvider();
  return processCredentials;
}

/** SHA-256 (and HMAC-SHA-256 with a secret) for the signer, from node:crypto. */
class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  update(data: Uint8Array | string): void {
    this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
}

function bytes(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

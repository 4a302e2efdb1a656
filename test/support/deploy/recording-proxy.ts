/**
 * Records every AWS API call a bundled function makes, on the wire: the function's SDK
 * clients are pointed at this proxy (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KINESIS), which
 * reads the service from the request's SigV4 credential scope, the operation from its
 * X-Amz-Target header (JSON protocols) or its method, path and query (S3), records the
 * call, and forwards the request unchanged (Host header included, so signatures still
 * verify) to that service's stand-in. A bundle carries its own copy of the SDK, so no
 * middleware can be added to its clients from outside: the wire is where its calls show.
 *
 * Two listeners: HTTP/1.1 for everything, and cleartext HTTP/2 for Kinesis, whose v3
 * client speaks only HTTP/2 (as it does on Lambda); the stand-ins get HTTP/1.1. A call to
 * a service without a stand-in is answered 501 and recorded, so the check fails on it.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { AwsCall, Json } from '../iam/aws-call-iam.js';

export interface RecordedCall extends AwsCall {
  /** Who made it (a function's logical id). */
  readonly caller: string;
  readonly status: number;
  /** How long the stand-in took to answer, in ms (0 for calls recorded without one). */
  readonly ms: number;
}

export interface ProxyTargets {
  /** Signing name → base URL of its stand-in (dynamodb, kinesis, s3, states). */
  readonly [service: string]: string;
}

export interface RecordingProxy {
  /** AWS_ENDPOINT_URL (every service but Kinesis). */
  readonly http1: string;
  /** AWS_ENDPOINT_URL_KINESIS. */
  readonly http2: string;
  close(): Promise<void>;
}

interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export async function startRecordingProxy(
  caller: string,
  targets: ProxyTargets,
  record: (call: RecordedCall) => void,
): Promise<RecordingProxy> {
  /** Kinesis shard iterator → its stream (GetRecords names only the iterator). */
  const iterators = new Map<string, string>();

  const handle = async (exchange: Exchange): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> => {
    const service = signingService(exchange.headers);
    const call = describeCall(service, exchange, iterators);
    const target = targets[service];
    if (target === undefined) {
      record({ ...call, caller, status: 501, ms: 0 });
      const body = Buffer.from(JSON.stringify({ __type: 'NotImplemented', message: `no stand-in for ${service}` }));
      return { status: 501, headers: { 'content-type': 'application/json' }, body };
    }
    const started = performance.now();
    const response = await forward(target, exchange);
    record({ ...call, caller, status: response.status, ms: Math.round(performance.now() - started) });
    if (service === 'kinesis' && response.status === 200) rememberIterators(call, response.body, iterators);
    return response;
  };

  /** Reads the request, handles it, writes the answer (a 502 naming the failure when forwarding failed). */
  const serve = (
    req: IncomingMessage | Http2ServerRequest,
    res: { writeHead(status: number, headers: Record<string, string | string[]>): unknown; end(body: Buffer | string): unknown },
    headers: IncomingHttpHeaders,
  ) =>
    void readAll(req)
      .then((body) => handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body }))
      .then((r) => {
        res.writeHead(r.status, withoutHopByHop(r.headers));
        res.end(r.body);
      })
      .catch((error: unknown) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ __type: 'ProxyError', message: String(error) }));
      });
  const http1 = createServer((req, res) => serve(req, res, req.headers));
  const http2 = createHttp2Server((req: Http2ServerRequest, res: Http2ServerResponse) => serve(req, res, http1Headers(req.headers)));
  const sessions = new Set<{ destroy(): void }>();
  http2.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await Promise.all([listen(http1), listen(http2)]);
  return {
    http1: `http://127.0.0.1:${(http1.address() as AddressInfo).port}`,
    http2: `http://127.0.0.1:${(http2.address() as AddressInfo).port}`,
    async close() {
      http1.closeAllConnections();
      for (const session of sessions) session.destroy();
      await Promise.all([
        new Promise<void>((resolve) => http1.close(() => resolve())),
        new Promise<void>((resolve) => http2.close(() => resolve())),
      ]);
    },
  };
}

/** The service of a SigV4 request: `Credential=<key>/<date>/<region>/<service>/aws4_request`. */
function signingService(headers: IncomingHttpHeaders): string {
  const match = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''));
  return match?.[1] ?? 'unsigned';
}

function describeCall(service: string, exchange: Exchange, iterators: ReadonlyMap<string, string>): AwsCall {
  const target = exchange.headers['x-amz-target'];
  if (typeof target === 'string') {
    const operation = target.slice(target.indexOf('.') + 1);
    const input = parseJson(exchange.body);
    if (service === 'kinesis' && operation === 'GetRecords' && input.StreamARN === undefined) {
      input.StreamName = iterators.get(String(input.ShardIterator)) ?? '(an iterator this proxy did not hand out)';
    }
    return { service, operation, input };
  }
  if (service === 's3') return describeS3(exchange);
  return { service, operation: `${exchange.method} ${exchange.path}`, input: {} };
}

/** Path-style S3: `/<bucket>/<key>?<query>`; the SDK names most operations in `x-id`. */
function describeS3({ method, path, body }: Exchange): AwsCall {
  const url = new URL(path, 'http://s3');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = rest.map(decodeURIComponent).join('/');
  const q = url.searchParams;
  const input: Json = { Bucket: decodeURIComponent(bucket), ...(key === '' ? {} : { Key: key }) };
  let operation = q.get('x-id');
  if (operation === null) {
    if (q.get('list-type') === '2') operation = 'ListObjectsV2';
    else if (method === 'HEAD') operation = key === '' ? 'HeadBucket' : 'HeadObject';
    else if (method === 'POST' && q.has('delete')) operation = 'DeleteObjects';
    else if (method === 'GET' && key === '') operation = 'ListObjects';
    else operation = `${method} ${url.pathname}`;
  }
  if (q.has('prefix')) input.Prefix = q.get('prefix');
  if (operation === 'DeleteObjects') {
    input.Keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unescapeXml(m[1]!));
  }
  return { service: 's3', operation, input };
}

function rememberIterators(call: AwsCall, body: Buffer, iterators: Map<string, string>): void {
  const out = parseJson(body);
  const stream = String(call.input.StreamARN ?? call.input.StreamName);
  if (call.operation === 'GetShardIterator' && typeof out.ShardIterator === 'string') iterators.set(out.ShardIterator, stream);
  if (call.operation === 'GetRecords' && typeof out.NextShardIterator === 'string') iterators.set(out.NextShardIterator, stream);
}

function forward(target: string, exchange: Exchange): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(exchange.path, target);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: exchange.method, headers: exchange.headers }, (res) => {
      readAll(res).then((body) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body }), reject);
    });
    req.on('error', reject);
    req.end(exchange.body);
  });
}

/** HTTP/2's pseudo-headers out, `host` from `:authority` (what the signature covers). */
function http1Headers(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':')) out[name] = value;
  out.host ??= String(headers[':authority']);
  return out;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function withoutHopByHop(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function parseJson(body: Buffer): Json {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as Json) : {};
  } catch {
    return {};
  }
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

async function readAll(stream: IncomingMessage | Http2ServerRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function listen(server: {
  listen(port: number, host: string, cb: () => void): unknown;
  once(e: string, cb: (err: Error) => void): unknown;
}) {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
}

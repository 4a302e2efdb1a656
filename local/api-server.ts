/**
 * The jobs API over HTTP on this machine: a node:http server on loopback that does what
 * API Gateway does in front of the Lambda functions. Each request is matched against the
 * deployed routes (functions/api-routes.ts: the same table CDK creates the routes from),
 * turned into the HTTP API's payload-format-2.0 event (routeKey, pathParameters,
 * queryStringParameters, body), and handed to the handler of the function that serves
 * the route on AWS (functions/api-read.ts, functions/api-control.ts), built on the local
 * ports. Its result is written back as it is: status, headers, JSON body.
 *
 * What differs from AWS: no IAM authorization (the server listens on loopback only, and
 * refuses other Host headers, cross-origin requests, dot segments and non-JSON bodies:
 * local/api-request-guard.ts), no throttling, and bodies above 64 KiB are refused here
 * rather than by the function.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../functions/api.js';
import { API_FUNCTIONS, API_ROUTES, matchRoute, type ApiFunction } from '../functions/api-routes.js';
import type { Logger } from '../engine/ports/index.js';
import { allowedHosts, refuseBodyType, refuseRequest, type Refusal } from './api-request-guard.js';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from './defaults.js';

export type HttpLambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ApiServerOptions {
  /** The handler of each API function, built on the local ports. */
  readonly handlers: Readonly<Record<ApiFunction, HttpLambdaHandler>>;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default DEFAULT_API_PORT; 0 picks a free port. */
  readonly port?: number;
  readonly logger?: Logger;
}

export interface ApiServer {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? DEFAULT_API_HOST;
  let hosts: ReadonlySet<string> = new Set();
  const server = createServer((req, res) => {
    void serve(req, res, options, hosts).catch((error: unknown) => {
      options.logger?.error('local API request failed', { error: String(error) });
      if (!res.headersSent) send(res, 500, { error: 'InternalError', message: `the local API server failed: ${String(error)}` });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_API_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  hosts = allowedHosts(host, port);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, options: ApiServerOptions, hosts: ReadonlySet<string>): Promise<void> {
  const requestId = randomUUID();
  const refused = refuseRequest({ url: req.url ?? '', headers: req.headers }, hosts);
  if (refused !== null) return refuse(req, res, refused, requestId);
  const body = await readBody(req);
  if (body === null) {
    send(res, 413, { error: 'PayloadTooLarge', message: `the body must be at most ${MAX_BODY_BYTES} bytes`, requestId });
    return;
  }
  const badType = refuseBodyType(req.headers, body);
  if (badType !== null) return refuse(req, res, badType, requestId);
  const event = toEvent(req, body, requestId);
  const fn = API_ROUTES[event.routeKey as keyof typeof API_ROUTES];
  const result = await options.handlers[fn](event, lambdaContext(fn, requestId));
  res.writeHead(result.statusCode ?? 200, { ...stringHeaders(result.headers), 'apigw-requestid': requestId });
  res.end(result.body ?? '');
}

/** The HTTP API's payload format 2.0 (what API Gateway sends a Lambda integration). */
export function toEvent(req: IncomingMessage, body: string, requestId: string): APIGatewayProxyEventV2 {
  // The path as sent: a URL parser would resolve `%2e%2e` and `\` segments (refused before this).
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const path = queryAt < 0 ? target : target.slice(0, queryAt);
  const search = queryAt < 0 ? '' : target.slice(queryAt + 1);
  const method = (req.method ?? 'GET').toUpperCase();
  const { routeKey, pathParameters } = matchRoute(method, path);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(search)) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: search,
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === '' ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** The body as text, or null when it is larger than the API accepts. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers a refused request without reading its body (the connection closes after it). */
function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal, requestId: string): void {
  req.resume();
  res.setHeader('connection', 'close');
  send(res, refusal.status, { error: refusal.error, message: refusal.message, requestId });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function stringHeaders(headers: APIGatewayProxyStructuredResultV2['headers']): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
}

function lambdaContext(fn: ApiFunction, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `sluice-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:sluice-${fn}`,
    memoryLimitInMB: String(API_FUNCTIONS[fn].memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/sluice-${fn}`,
    logStreamName: 'local',
  } as Context;
}

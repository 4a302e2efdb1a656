/**
 * A client of the jobs API, for the `sluice` command: JSON over HTTP to the local server
 * (`npm run api`) or to the deployed HTTP API, whose routes need SigV4 (IAM). Requests
 * that may not have reached the API (a socket error, a 5xx, a throttle) are sent again
 * as they were; a start carries an idempotency token, so a retried start starts one job.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { retry, type Bail } from '../engine/retry.js';
import { signRequest, type SigningOptions } from './sigv4.js';

export interface ApiClientOptions {
  /** The API's base URL, e.g. http://127.0.0.1:4810 or https://abc123.execute-api.eu-west-1.amazonaws.com */
  readonly endpoint: string;
  /** Sign requests with SigV4 (the deployed API); null: send them as they are (the local server). */
  readonly signing: SigningOptions | null;
  /** Attempts per request (default 3). */
  readonly attempts?: number;
  /** Per attempt (default 30 s: API Gateway's own limit). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The API could not be reached (refused, no route to it, timed out), after every attempt. */
export class ApiUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiUnreachableError';
  }
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  get endpoint(): string {
    return this.options.endpoint.replace(/\/+$/, '');
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiResponse> {
    const attempts = this.options.attempts ?? 3;
    const url = new URL(`${this.endpoint}${path}`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    // Every failure to get an answer is retried, and so is a retryable status but on the last attempt (it is answered as it is);
    // a body that breaks off is thrown as it is.
    let unreadable: unknown;
    const send = async (attempt: number, bail: Bail): Promise<ApiResponse> => {
      const headers = { accept: 'application/json', ...(text === undefined ? {} : { 'content-type': 'application/json' }) };
      const signed = this.options.signing === null ? headers : await signRequest({ method, url, headers, ...(text === undefined ? {} : { body: text }) }, this.options.signing);
      const response = await (this.options.fetch ?? fetch)(url, {
        method,
        headers: withoutHost(signed),
        ...(text === undefined ? {} : { body: text }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      const parsed = await readJson(response).catch((error: unknown) => bail((unreadable = error)));
      if (RETRY_STATUSES.has(response.status) && attempt < attempts) throw new Error(`HTTP ${response.status}`);
      return { status: response.status, body: parsed };
    };
    try {
      return await retry(send, { attempts, baseDelayMs: 300, clock: { sleep }, shouldRetry: () => true });
    } catch (last) {
      if (last === unreadable) throw last;
      throw new ApiUnreachableError(`cannot reach the jobs API at ${this.endpoint}: ${describeFetchError(last)}`, { cause: last });
    }
  }
}

async function readJson(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // not JSON: an API Gateway error page, a proxy
  }
  return { error: `HTTP ${response.status}`, message: text.slice(0, 500) || response.statusText };
}

/** fetch computes Host itself (and refuses to be given one). */
function withoutHost(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'host'));
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}

/** True for an endpoint on this machine (the local server, which has no IAM authorization). */
export function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The region of an execute-api endpoint (https://<id>.execute-api.<region>.amazonaws.com), or null. */
export function regionOfEndpoint(endpoint: string): string | null {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(endpoint).hostname);
  return match?.[1] ?? null;
}

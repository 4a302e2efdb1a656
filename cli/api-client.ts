/**
 * A client of the jobs API, for the `sluice` command: JSON over HTTP to the local server
 * (`npm run api`) or to the deployed HTTP API, whose routes need SigV4 (IAM). Requests
 * that may not have reached the API (a socket error, a 5xx, a throttle) are sent again
 * as they were; a start carries an idempotency token, so a retried start starts one job.
 * One typed method per route (listJobs, startJob, ...) answers with the API's views
 * (engine/api/views.ts), checked against what the command reads of them (api-responses.ts),
 * and throws ApiRequestError for a 4xx or 5xx answer, ApiAnswerError for a 2xx answer that
 * is not the jobs API's.
 *
 * Time limits, so that a dead endpoint fails in seconds: before its first request the
 * client opens a TCP connection to the endpoint's host and port, and gives up at once as
 * unreachable when it is refused or not open within CONNECT_TIMEOUT_MS (a blackholed
 * address); each attempt then has ATTEMPT_TIMEOUT_MS, and a request with its retries
 * REQUEST_TIMEOUT_MS in all.
 */
import type { StartedJob } from '../engine/api/jobs.js';
import type { ResultsPage } from '../engine/api/results.js';
import type { BatchView, DeadLetterView, JobStatus, JobSummary } from '../engine/api/views.js';
import type { JsonValue } from '../engine/json.js';
import type { TriggerSettings } from '../engine/ports/job-registry.js';
import { connect as netConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { retry, type Bail } from '../engine/retry.js';
import {
  batchPageSchema,
  deadLetterPageSchema,
  jobListSchema,
  jobStatusSchema,
  responseProblem,
  resultsPageSchema,
  startedJobSchema,
  stoppedJobSchema,
} from './api-responses.js';
import { isMissingCredentials } from './aws-credentials.js';
import { signRequest, type SigningOptions } from './sigv4.js';

/** To open a TCP connection to the endpoint, before the first request. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** One attempt of a request (API Gateway's own limit is 30 s). */
export const ATTEMPT_TIMEOUT_MS = 30_000;
/** A request with its retries. */
export const REQUEST_TIMEOUT_MS = 45_000;

export interface ApiClientOptions {
  /** The API's base URL, e.g. http://127.0.0.1:4810 or https://abc123.execute-api.eu-west-1.amazonaws.com */
  readonly endpoint: string;
  /** Sign requests with SigV4 (the deployed API); null: send them as they are (the local server). */
  readonly signing: SigningOptions | null;
  /** Attempts per request (default 3). */
  readonly attempts?: number;
  /** Per attempt (default ATTEMPT_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** A request with its retries (default REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
  readonly fetch?: typeof fetch;
  /**
   * Checks that the endpoint accepts a connection, once, before the first request (default:
   * a TCP connection within CONNECT_TIMEOUT_MS; none when `fetch` is given, or null).
   */
  readonly connect?: ((url: URL) => Promise<void>) | null;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** The answer was a JSON object (else `body` wraps its text). */
  readonly json: boolean;
}

/** The API could not be reached (refused, no route to it, timed out), after every attempt. */
export class ApiUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiUnreachableError';
  }
}

/** What answered a request with a 2xx is not the jobs API (another server, a proxy's page, another version). */
export class ApiAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiAnswerError';
  }
}

/** No AWS credentials to sign a request with (the SDK's default chain found none). */
export class ApiCredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiCredentialsError';
  }
}

/** What the API answers for a request it could not serve (functions/api.ts). */
export interface ApiErrorBody {
  readonly error?: string;
  readonly message?: string;
  /** For a 400: the problem of every bad field. */
  readonly fields?: readonly { readonly field: string; readonly message: string }[];
  /** For a 5xx: where to find it in the API function's log. */
  readonly requestId?: string;
}

/** The API answered a typed method's request with a 4xx or a 5xx. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    // The API's own messages are one line and say what to do (some run long); another server's page is cut (readJson).
    super(oneLine(body.message ?? body.error ?? `HTTP ${status}`, 4_000));
    this.name = 'ApiRequestError';
  }
}

/** Where a new job instance starts, as POST /jobs takes it (engine/api/requests.ts startingPosition). */
export type StartingPositionBody =
  | 'earliest'
  | 'latest'
  | { readonly type: 'timestamp'; readonly timestamp: number | string }
  | { readonly type: 'checkpoint'; readonly jobId: string; readonly batchId?: number };

/** POST /jobs (engine/api/requests.ts parseStartJob). */
export interface StartJobBody {
  readonly jobName: string;
  readonly jobId?: string;
  readonly parameters?: Readonly<Record<string, JsonValue>>;
  readonly trigger?: TriggerSettings;
  readonly maxRecordsPerPartition?: number;
  readonly startingPosition?: StartingPositionBody;
  readonly idempotencyToken: string;
  /** Take the job's sinks over from the stopped or failed instance that owns them. */
  readonly force?: boolean;
}

/** POST /jobs/{jobId}/resume (engine/api/requests.ts parseResumeJob). */
export interface ResumeJobBody {
  readonly trigger?: TriggerSettings;
  readonly maxRecordsPerPartition?: number;
  readonly idempotencyToken: string;
  /** Take the job's sinks back from the stopped or failed instance that owns them now. */
  readonly force?: boolean;
}

/** A page of a paged route: its size (default: the API's) and the token of the page before (none: the first page). */
export interface PageRequest {
  readonly limit?: number;
  readonly nextToken?: string;
}

export interface BatchPage {
  readonly batches: BatchView[];
  readonly nextToken: string | null;
}

export interface DeadLetterPage {
  readonly jobId: string;
  readonly deadLetters: DeadLetterView[];
  readonly nextToken: string | null;
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

export class ApiClient {
  private connected: Promise<void> | null = null;

  constructor(private readonly options: ApiClientOptions) {}

  get endpoint(): string {
    return this.options.endpoint.replace(/\/+$/, '');
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiResponse> {
    const attempts = this.options.attempts ?? 3;
    const url = new URL(`${this.endpoint}${path}`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    await this.checkConnection(url);
    const deadline = Date.now() + (this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
    // Every failure to get an answer is retried, and so is a retryable status but on the last attempt (it is answered as it is);
    // a body that breaks off is thrown as it is.
    let unreadable: unknown;
    const send = async (attempt: number, bail: Bail): Promise<ApiResponse> => {
      const headers = { accept: 'application/json', ...(text === undefined ? {} : { 'content-type': 'application/json' }) };
      const signed = this.options.signing === null ? headers : await this.sign(method, url, headers, text, bail);
      const left = deadline - Date.now();
      if (left <= 0) throw Object.assign(new Error('no answer in time'), { name: 'TimeoutError' });
      const response = await (this.options.fetch ?? fetch)(url, {
        method,
        headers: withoutHost(signed),
        ...(text === undefined ? {} : { body: text }),
        signal: AbortSignal.timeout(Math.min(this.options.timeoutMs ?? ATTEMPT_TIMEOUT_MS, left)),
      });
      const parsed = await readJson(response).catch((error: unknown) => bail((unreadable = error)));
      if (RETRY_STATUSES.has(response.status) && attempt < attempts) throw new Error(`HTTP ${response.status}`);
      return { status: response.status, ...parsed };
    };
    try {
      return await retry(send, { attempts, baseDelayMs: 300, clock: { sleep }, shouldRetry: () => Date.now() < deadline });
    } catch (last) {
      if (last === unreadable || last instanceof ApiCredentialsError) throw last;
      throw new ApiUnreachableError(`cannot reach the jobs API at ${this.endpoint}: ${describeFetchError(last)}`, { cause: last });
    }
  }

  /** GET /jobs, of one state only when given. */
  async listJobs(filter: { readonly state?: string } = {}): Promise<{ jobs: JobSummary[] }> {
    return this.call(jobListSchema, 'GET', `/jobs${query({ state: filter.state })}`);
  }

  /** POST /jobs */
  async startJob(body: StartJobBody): Promise<StartedJob> {
    return this.call(startedJobSchema, 'POST', '/jobs', body);
  }

  /** GET /jobs/{jobId} */
  async jobStatus(jobId: string): Promise<JobStatus> {
    return this.call(jobStatusSchema, 'GET', jobPath(jobId));
  }

  /** POST /jobs/{jobId}/stop: the job as it is after the request (STOPPING, or already ended). */
  async stopJob(jobId: string): Promise<{ job: JobSummary }> {
    return this.call(stoppedJobSchema, 'POST', `${jobPath(jobId)}/stop`);
  }

  /** POST /jobs/{jobId}/resume */
  async resumeJob(jobId: string, body: ResumeJobBody): Promise<StartedJob> {
    return this.call(startedJobSchema, 'POST', `${jobPath(jobId)}/resume`, body);
  }

  /** GET /jobs/{jobId}/batches: newest first. */
  async batches(jobId: string, page: PageRequest = {}): Promise<BatchPage> {
    return this.call(batchPageSchema, 'GET', `${jobPath(jobId)}/batches${query({ limit: page.limit, nextToken: page.nextToken })}`);
  }

  /** GET /jobs/{jobId}/dead-letters, of one partition only when given. */
  async deadLetters(jobId: string, page: PageRequest & { readonly partition?: string } = {}): Promise<DeadLetterPage> {
    return this.call(
      deadLetterPageSchema,
      'GET',
      `${jobPath(jobId)}/dead-letters${query({ partition: page.partition, limit: page.limit, nextToken: page.nextToken })}`,
    );
  }

  /** GET /jobs/{jobId}/results: a page of the rows of the job's sink. */
  async results(jobId: string, page: PageRequest = {}): Promise<ResultsPage> {
    return this.call(resultsPageSchema, 'GET', `${jobPath(jobId)}/results${query({ limit: page.limit, nextToken: page.nextToken })}`);
  }

  /**
   * A request whose 2xx answer is a T: checked against `schema` (what the commands read of
   * a T), and refused as ApiAnswerError when it does not match, or when the status is
   * neither a 2xx nor a 4xx or 5xx (a redirect fetch did not follow, an informational).
   */
  private async call<T>(schema: z.ZodType, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    if (response.status >= 400) throw new ApiRequestError(response.status, errorBody(response.body));
    const route = `${method} ${path.replace(/\?.*$/, '')}`;
    if (response.status < 200 || response.status > 299)
      throw new ApiAnswerError(`${this.endpoint} is not the jobs API: it answered ${route} with HTTP ${response.status}`);
    const problem = response.json ? responseProblem(schema, response.body) : 'not JSON';
    if (problem !== null)
      throw new ApiAnswerError(
        `${this.endpoint} is not the jobs API (or not of this version): its answer to ${route} is wrong at ${oneLine(problem)}`,
      );
    return response.body as T;
  }

  /** Signs with the client's credentials; no credentials at all ends the request at once (ApiCredentialsError). */
  private async sign(method: string, url: URL, headers: Record<string, string>, text: string | undefined, bail: Bail) {
    try {
      return await signRequest({ method, url, headers, ...(text === undefined ? {} : { body: text }) }, this.options.signing!);
    } catch (error) {
      if (!isMissingCredentials(error)) throw error;
      return bail(
        new ApiCredentialsError(
          `no AWS credentials to sign requests to ${this.endpoint} with: ${oneLine(error instanceof Error ? error.message : String(error))}`,
          {
            cause: error,
          },
        ),
      );
    }
  }

  /** The connection check of the client's first request (ApiClientOptions.connect); a failure is unreachable at once. */
  private async checkConnection(url: URL): Promise<void> {
    const connect = this.options.connect === undefined ? (this.options.fetch === undefined ? tcpConnect : null) : this.options.connect;
    if (connect === null) return;
    this.connected ??= connect(url).catch((error: unknown) => {
      this.connected = null;
      throw new ApiUnreachableError(`cannot reach the jobs API at ${this.endpoint}: ${describeFetchError(error)}`, { cause: error });
    });
    await this.connected;
  }
}

/** Opens (and closes) a TCP connection to the URL's host and port within CONNECT_TIMEOUT_MS. */
export function tcpConnect(url: URL, timeoutMs: number = CONNECT_TIMEOUT_MS): Promise<void> {
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection to ${url.host} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

/** The error body's fields that have the shape they should; others are left out (an answer not from the API). */
function errorBody(body: Record<string, unknown>): ApiErrorBody {
  const string = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const fields = Array.isArray(body.fields)
    ? body.fields.filter(
        (f): f is { field: string; message: string } =>
          typeof f === 'object' && f !== null && typeof f.field === 'string' && typeof f.message === 'string',
      )
    : undefined;
  const picked = { error: string(body.error), message: string(body.message), requestId: string(body.requestId) };
  return {
    ...Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)),
    ...(fields === undefined ? {} : { fields }),
  };
}

/** On one line, at most `max` characters: a message from the answer of a server that may not be the API. */
function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

function jobPath(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}`;
}

/** `?name=value&...` of the defined values, in their order; empty when none is. */
function query(values: Readonly<Record<string, string | number | undefined>>): string {
  const params = new URLSearchParams(
    Object.entries(values).flatMap(([name, value]): [string, string][] => (value === undefined ? [] : [[name, String(value)]])),
  );
  return params.size > 0 ? `?${params}` : '';
}

async function readJson(response: Response): Promise<{ body: Record<string, unknown>; json: boolean }> {
  const text = await response.text();
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { body: value as Record<string, unknown>, json: true };
  } catch {
    // not JSON: an API Gateway error page, a proxy
  }
  return { body: { error: `HTTP ${response.status}`, message: oneLine(text.slice(0, 2_000)) || response.statusText }, json: false };
}

/** fetch computes Host itself (and refuses to be given one). */
function withoutHost(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'host'));
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string') return `${own} (${error.message})`;
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

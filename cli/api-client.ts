/**
 * A client of the jobs API, for the `sluice` command: JSON over HTTP to the local server
 * (`npm run api`) or to the deployed HTTP API, whose routes need SigV4 (IAM). Requests
 * that may not have reached the API (a socket error, a 5xx, a throttle) are sent again
 * as they were; a start carries an idempotency token, so a retried start starts one job.
 * One typed method per route (listJobs, startJob, ...) answers with the API's views
 * (engine/api/views.ts) and throws ApiRequestError for a 4xx or 5xx answer.
 */
import type { StartedJob } from '../engine/api/jobs.js';
import type { ResultsPage } from '../engine/api/results.js';
import type { BatchView, DeadLetterView, JobStatus, JobSummary } from '../engine/api/views.js';
import type { JsonValue } from '../engine/json.js';
import type { TriggerSettings } from '../engine/ports/job-registry.js';
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
    super(body.message ?? body.error ?? `HTTP ${status}`);
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
      const signed =
        this.options.signing === null
          ? headers
          : await signRequest({ method, url, headers, ...(text === undefined ? {} : { body: text }) }, this.options.signing);
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

  /** GET /jobs, of one state only when given. */
  async listJobs(filter: { readonly state?: string } = {}): Promise<{ jobs: JobSummary[] }> {
    return this.call('GET', `/jobs${query({ state: filter.state })}`);
  }

  /** POST /jobs */
  async startJob(body: StartJobBody): Promise<StartedJob> {
    return this.call('POST', '/jobs', body);
  }

  /** GET /jobs/{jobId} */
  async jobStatus(jobId: string): Promise<JobStatus> {
    return this.call('GET', jobPath(jobId));
  }

  /** POST /jobs/{jobId}/stop: the job as it is after the request (STOPPING, or already ended). */
  async stopJob(jobId: string): Promise<{ job: JobSummary }> {
    return this.call('POST', `${jobPath(jobId)}/stop`);
  }

  /** POST /jobs/{jobId}/resume */
  async resumeJob(jobId: string, body: ResumeJobBody): Promise<StartedJob> {
    return this.call('POST', `${jobPath(jobId)}/resume`, body);
  }

  /** GET /jobs/{jobId}/batches: newest first. */
  async batches(jobId: string, page: PageRequest = {}): Promise<BatchPage> {
    return this.call('GET', `${jobPath(jobId)}/batches${query({ limit: page.limit, nextToken: page.nextToken })}`);
  }

  /** GET /jobs/{jobId}/dead-letters, of one partition only when given. */
  async deadLetters(jobId: string, page: PageRequest & { readonly partition?: string } = {}): Promise<DeadLetterPage> {
    return this.call(
      'GET',
      `${jobPath(jobId)}/dead-letters${query({ partition: page.partition, limit: page.limit, nextToken: page.nextToken })}`,
    );
  }

  /** GET /jobs/{jobId}/results: a page of the rows of the job's sink. */
  async results(jobId: string, page: PageRequest = {}): Promise<ResultsPage> {
    return this.call('GET', `${jobPath(jobId)}/results${query({ limit: page.limit, nextToken: page.nextToken })}`);
  }

  /**
   * A request whose 2xx answer is a T. The answer is the API's own view and is not checked
   * again here: the API and this client ship together.
   */
  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    if (response.status >= 400) throw new ApiRequestError(response.status, response.body as ApiErrorBody);
    return response.body as T;
  }
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

/**
 * The body of `sluice smoke` (cli/commands/smoke.ts), stage by stage; each stage that fails
 * ends the run with its own exit code (SMOKE_EXIT), and whatever the run created is cleaned
 * up after it all the same:
 *
 *   1 api       the jobs API: --endpoint, or the stack's ApiUrl output; it must answer GET /jobs
 *   2 create    the stream and the sink table (refused when either exists: an earlier run's)
 *   3 start     the smoke job from the earliest record, taking the table over from an earlier
 *               run's stopped instance (force)
 *   4 produce   the records, keyed by their number (they spread over both shards)
 *   5 results   until GET /jobs/{id}/results holds exactly one row per key, with its count
 *   6 stop      the job, until it is STOPPED
 *   7 clean up  delete the stream and the table (not with --keep)
 */
import { randomUUID } from 'node:crypto';
import { putAllRecords } from '../../engine/adapters/aws/index.js';
import { describeError } from '../../engine/errors.js';
import { SMOKE_JOB } from '../../jobs/smoke/settings.js';
import { DEFAULT_DATA_DIR } from '../../local/defaults.js';
import {
  ApiAnswerError,
  ApiClient,
  ApiCredentialsError,
  ApiRequestError,
  ApiUnreachableError,
  isLoopback,
  regionOfEndpoint,
} from '../api-client.js';
import { isMissingCredentials, NO_CREDENTIALS, NO_CREDENTIALS_HINT } from '../aws-credentials.js';
import { defaultCredentials } from '../sigv4.js';
import {
  awsSmokeResources,
  createStreamAndTable,
  deleteStreamAndTable,
  existing,
  localSmokeResources,
  SMOKE_SHARDS,
  SmokeTargetError,
  type SmokeResources,
} from '../smoke-resources.js';
import { describeStack, StackLookupError } from '../stack-outputs.js';
import { follow } from './jobs/follow.js';

export interface SmokeOptions {
  readonly stack?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly name: string;
  readonly records: number;
  /** Seconds for the results to be exact. */
  readonly timeout: number;
  readonly keep?: boolean;
  readonly dataDir?: string;
}

export const SMOKE_EXIT = {
  passed: 0,
  noApi: 3,
  create: 4,
  noCredentials: NO_CREDENTIALS,
  start: 6,
  produce: 7,
  results: 8,
  stop: 9,
  cleanUp: 10,
} as const;

/** Distinct keys of the records (fewer when there are fewer records). */
const KEYS = 7;
const POLL_MS = 1_000;
/** For the driver to finish the batch in flight, commit and end. */
const STOP_TIMEOUT_MS = 180_000;

/** A stage failed: its exit code and one line. */
class StageFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Runs `work` as stage `code`: what it throws becomes that stage's failure (no credentials stays its own). */
async function stage<T>(code: number, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StageFailure || error instanceof ApiCredentialsError || isMissingCredentials(error)) throw error;
    throw new StageFailure(
      code,
      `${what}: ${OWN_ERRORS.some((type) => error instanceof type) ? (error as Error).message : describeError(error)}`,
    );
  }
}

/** Errors whose message says it all; any other keeps its name (an SDK's ResourceInUseException says what happened). */
const OWN_ERRORS = [ApiUnreachableError, ApiAnswerError, ApiRequestError, StackLookupError, SmokeTargetError];

export async function smoke(options: SmokeOptions): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const jobId = `smoke-${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase()}`;
  let client: ApiClient | undefined;
  let resources: SmokeResources | undefined;
  let created = false;
  let started = false;
  let code: number = SMOKE_EXIT.passed;
  try {
    const api = await stage(SMOKE_EXIT.noApi, 'finding the jobs API', () => findApi(options));
    client = api.client;
    await stage(SMOKE_EXIT.noApi, 'checking the jobs API (GET /jobs)', () => client!.listJobs());
    console.log(`jobs API ${client.endpoint}${api.from}`);

    resources = await stage(SMOKE_EXIT.create, 'the stream and the table', async () =>
      isLoopback(client!.endpoint)
        ? localSmokeResources(client!.endpoint, options.dataDir ?? process.env.SLUICE_DATA_DIR ?? DEFAULT_DATA_DIR)
        : awsSmokeResources(api.region!),
    );
    const leftovers = await stage(SMOKE_EXIT.create, 'looking for an earlier run', () => existing(resources!.clients, options.name));
    if (leftovers.length > 0)
      throw new StageFailure(
        SMOKE_EXIT.create,
        `the ${leftovers.join(' and the ')} ${options.name} ${leftovers.length === 1 ? 'exists' : 'exist'} already in ${resources.where}: ` +
          "an earlier run left it, or it is not the smoke test's; delete it first (or pass another --name)",
      );
    created = true;
    await stage(SMOKE_EXIT.create, 'creating the stream and the table', () => createStreamAndTable(resources!.clients, options.name));
    console.log(`created stream ${options.name} (${SMOKE_SHARDS} shards) and table ${options.name} in ${resources.where}`);

    const answer = await stage(SMOKE_EXIT.start, 'starting the smoke job', () =>
      client!.startJob({
        jobName: 'smoke',
        jobId,
        ...(options.name === SMOKE_JOB.name ? {} : { parameters: { name: options.name } }),
        startingPosition: 'earliest',
        idempotencyToken: randomUUID(),
        force: true,
      }),
    );
    started = true;
    console.log(`started job ${jobId}: driver execution ${answer.execution}`);

    const { records, expected } = smokeRecords(jobId, options.records);
    const encoder = new TextEncoder();
    await stage(SMOKE_EXIT.produce, `writing ${records.length} records to stream ${options.name}`, () =>
      putAllRecords(
        resources!.clients.kinesis,
        options.name,
        records.map((r, i) => ({ key: String(i), data: encoder.encode(JSON.stringify(r)) })),
      ),
    );
    console.log(`wrote ${records.length} records over ${expected.size} keys`);

    await stage(SMOKE_EXIT.results, 'reading the results', () => awaitExactResults(client!, jobId, expected, options.timeout * 1000));
  } catch (error) {
    code = report(error);
  }
  if (started && client !== undefined) {
    const stopped = await stopJob(client, jobId);
    if (code === SMOKE_EXIT.passed && !stopped) code = SMOKE_EXIT.stop;
  }
  if (created && resources !== undefined) {
    if (options.keep) console.log(`kept stream ${options.name} and table ${options.name} in ${resources.where} (--keep)`);
    else {
      const problems = await deleteStreamAndTable(resources.clients, options.name);
      for (const problem of problems) console.error(`error: ${problem}`);
      if (problems.length === 0) console.log(`deleted stream ${options.name} and table ${options.name}`);
      else if (code === SMOKE_EXIT.passed) code = SMOKE_EXIT.cleanUp;
    }
  }
  resources?.close();
  if (started) console.log(`job ${jobId} stays in the registry (sluice jobs status ${jobId})`);
  console.log(code === SMOKE_EXIT.passed ? 'smoke test passed' : `smoke test FAILED (exit ${code})`);
  return code;
}

/** The client of the API the options name, where it came from, and its region (null: a local API). */
async function findApi(options: SmokeOptions): Promise<{ client: ApiClient; from: string; region: string | null }> {
  let endpoint = options.endpoint;
  let from = '';
  if (endpoint === undefined) {
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (region === undefined || region === '')
      throw new StageFailure(SMOKE_EXIT.noApi, 'finding stack needs a region: --region, or $AWS_REGION');
    const stack = await describeStack(options.stack!, { region, credentials: defaultCredentials() });
    endpoint = stack.outputs.ApiUrl;
    if (endpoint === undefined)
      throw new StageFailure(
        SMOKE_EXIT.noApi,
        `stack ${stack.name} (${stack.status}) has no ApiUrl output: is it a Sluice stack, deployed?`,
      );
    from = ` (output ApiUrl of stack ${stack.name}, ${stack.status})`;
  }
  if (isLoopback(endpoint)) return { client: new ApiClient({ endpoint, signing: null }), from, region: null };
  const region = options.region ?? regionOfEndpoint(endpoint) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '')
    throw new StageFailure(SMOKE_EXIT.noApi, `signing requests to ${endpoint} needs a region: --region, or $AWS_REGION`);
  return { client: new ApiClient({ endpoint, signing: { region, credentials: defaultCredentials() } }), from, region };
}

/** `count` records over up to KEYS keys, and the count each key must end with. */
export function smokeRecords(
  jobId: string,
  count: number,
): { records: { key: string; seq: number; run: string }[]; expected: Map<string, number> } {
  const records = Array.from({ length: count }, (_, seq) => ({ key: `k${seq % KEYS}`, seq, run: jobId }));
  const expected = new Map<string, number>();
  for (const r of records) expected.set(r.key, (expected.get(r.key) ?? 0) + 1);
  return { records, expected };
}

/** Polls the job and its results until they are exactly `expected`; a FAILED or ended job, or the timeout, fails it. */
async function awaitExactResults(
  client: ApiClient,
  jobId: string,
  expected: ReadonlyMap<string, number>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  let lastBatch: number | null = null;
  let differences: string[] = [];
  for (;;) {
    const status = await client.jobStatus(jobId);
    if (status.state !== 'RUNNING')
      throw new StageFailure(SMOKE_EXIT.results, `job ${jobId} is ${status.state}${status.reason ? `: ${status.reason}` : ''}`);
    const counts = await readCounts(client, jobId);
    differences = compare(counts, expected);
    const batch = status.lastCommittedBatch?.batchId ?? null;
    if (batch !== lastBatch) {
      const counted = [...counts.values()].reduce((a, b) => a + b, 0);
      console.log(`  batch ${batch} committed: ${counted} of ${total} records counted, in ${counts.size} rows`);
      lastBatch = batch;
    }
    if (differences.length === 0) {
      console.log(`results exact: ${expected.size} rows, one per key, with its count of the ${total} records`);
      return;
    }
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new StageFailure(
    SMOKE_EXIT.results,
    `the results were not exact after ${Math.round(timeoutMs / 1000)} s: ${differences.slice(0, 5).join('; ')}${differences.length > 5 ? `; and ${differences.length - 5} more` : ''}`,
  );
}

/** Every row of the job's sink, as key → count (a row's value is { key, value } for a count per key). */
async function readCounts(client: ApiClient, jobId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let nextToken: string | null = null;
  do {
    const page = await client.results(jobId, { limit: 1_000, ...(nextToken === null ? {} : { nextToken }) });
    for (const row of page.rows) {
      const { key, value } = row.value as { key?: unknown; value?: unknown };
      counts.set(typeof key === 'string' ? key : row.key, typeof value === 'number' ? value : Number.NaN);
    }
    nextToken = page.nextToken;
  } while (nextToken !== null);
  return counts;
}

/** What differs between the sink's counts and the expected ones, a phrase each. */
export function compare(counts: ReadonlyMap<string, number>, expected: ReadonlyMap<string, number>): string[] {
  const differences: string[] = [];
  for (const [key, want] of expected) {
    const got = counts.get(key);
    if (got === undefined) differences.push(`no row for key ${key} (expected ${want})`);
    else if (got !== want) differences.push(`key ${key} counted ${got}, expected ${want}`);
  }
  for (const [key, got] of counts) if (!expected.has(key)) differences.push(`a row for key ${key} (${got}) that no record made`);
  return differences;
}

/** Stops the job and follows it until it ends; true when it is STOPPED. */
async function stopJob(client: ApiClient, jobId: string): Promise<boolean> {
  try {
    const { job } = await client.stopJob(jobId);
    console.log(`stopping job ${jobId} (${job.state})`);
    return (await follow(client, jobId, STOP_TIMEOUT_MS)) === 0;
  } catch (error) {
    console.error(`error: stopping job ${jobId} failed: ${describeError(error)}`);
    return false;
  }
}

/** Prints a failure (one line, and the credentials hint) and returns its exit code. */
function report(error: unknown): number {
  if (error instanceof ApiCredentialsError || isMissingCredentials(error)) {
    console.error(`error: no AWS credentials: ${describeError(error)}`);
    console.error(NO_CREDENTIALS_HINT);
    return SMOKE_EXIT.noCredentials;
  }
  if (error instanceof StageFailure) {
    console.error(`error: ${error.message}`);
    return error.code;
  }
  throw error;
}

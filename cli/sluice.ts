/**
 * The `sluice` command (package.json "bin" → bin/sluice.js): the jobs API from a shell,
 * plus the operator commands that work on a job's write-ahead log directly (checkpoints,
 * replay: scripts/checkpoints.ts and scripts/replay.ts, run as they are).
 * Argument parsing only: the client is cli/api-client.ts, the text cli/format/jobs.ts.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiClient, ApiUnreachableError, isLoopback, regionOfEndpoint } from './api-client.js';
import { describePosition, describeTrigger, formatBatches, formatDeadLetters, formatJobList, formatJobStatus } from './format/jobs.js';
import type { JobStatus, JobSummary, BatchView, DeadLetterView } from '../engine/api/views.js';
import type { JsonValue } from '../engine/json.js';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../local/api-server.js';
import { fail, parseCli, positiveInteger } from './args.js';

const DEFAULT_ENDPOINT = `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`;

const API_OPTIONS_USAGE = `API options (every jobs command):
  --endpoint <url>     the jobs API (default $SLUICE_ENDPOINT, else ${DEFAULT_ENDPOINT}: npm run api);
                       on AWS the stack's ApiUrl output
  --region <region>    for signing (default: the endpoint's, else $AWS_REGION)
  --no-sign            do not sign requests with SigV4 (requests to another host are signed with
                       the SDK's default credentials: the routes use IAM authorization)
  --json               print the API's JSON answer
  -h, --help           show help`;

const usage = `usage: sluice <command> [options]

jobs (through the jobs API):
  sluice jobs start <job-name> [--job-id <id>] [--param name=value]... [--trigger <t>]
                    [--max-records <n>] [--from <position>] [--token <t>] [--wait]
  sluice jobs list [--state RUNNING|STOPPING|STOPPED|FAILED]
  sluice jobs status <job-id>
  sluice jobs batches <job-id> [--limit <n>] [--next-token <t>] [--all]
  sluice jobs dead-letters <job-id> [--partition <p>] [--limit <n>] [--next-token <t>] [--all]
  sluice jobs stop <job-id> [--wait] [--timeout <seconds>]
  sluice jobs resume <job-id> [--trigger <t>] [--max-records <n>] [--token <t>] [--wait]

checkpoints and replay (on the job's write-ahead log directly: the local runtime's data
directory, or AWS with --aws and the table and bucket names):
  sluice checkpoints list --job <id> | show --job <id> --partition <p>   (sluice checkpoints --help)
  sluice replay --job <id> --from-batch <N> [--to-batch <M>] [--into <id>] [--dry-run]   (sluice replay --help)

${API_OPTIONS_USAGE}

exit codes (jobs): 0 done, 1 the operation failed (no such job, a conflicting state, an API
error, a job that failed or a wait that timed out), 2 bad usage (bad arguments, or the API
said the request was invalid), 3 cannot reach the API. checkpoints and replay have their own
(see their --help).`;

const COMMON = {
  endpoint: { type: 'string' },
  region: { type: 'string' },
  'no-sign': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** The flags of a paged listing (batches, dead letters). */
const PAGING = {
  limit: { type: 'string' },
  'next-token': { type: 'string' },
  all: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

const argv = process.argv.slice(2);
const [group, ...rest] = argv;
if (group === undefined || group === 'help' || group === '-h' || group === '--help') {
  console.log(usage);
  process.exit(group === undefined ? EXIT.usage : EXIT.ok);
}
if (group === 'checkpoints' || group === 'replay') {
  // Run the operator script as it is, with these arguments; it exits with its own code.
  process.argv = [process.argv[0]!, process.argv[1]!, ...rest];
  if (group === 'checkpoints') await import('../scripts/checkpoints.js');
  else await import('../scripts/replay.js');
} else if (group !== 'jobs') {
  fail(usage, `unknown command ${JSON.stringify(group)}: expected jobs, checkpoints or replay`);
} else {
  await jobs(rest);
}

async function jobs(args: string[]): Promise<never> {
  const [command, ...more] = args;
  switch (command) {
    case 'start':
      return start(more);
    case 'list':
      return list(more);
    case 'status':
      return status(more);
    case 'batches':
      return batches(more);
    case 'dead-letters':
      return deadLetters(more);
    case 'stop':
      return stop(more);
    case 'resume':
      return resume(more);
    default:
      return fail(usage, command === undefined ? 'sluice jobs needs a command: start, list, status, batches, dead-letters, stop or resume' : `unknown jobs command ${JSON.stringify(command)}`);
  }
}

// ── commands ─────────────────────────────────────────────────────────────────────────

async function start(args: string[]): Promise<never> {
  const help = `usage: sluice jobs start <job-name> [options]

Starts an instance of a job of the deployment's catalog (POST /jobs).

options:
  --job-id <id>          the instance's id (default: the job name)
  --param <name=value>   a catalog parameter of the job (repeatable); JSON values are parsed
  --trigger <t>          available-now, or interval:<ms>[:<max idle ms>] (default: the job's own)
  --max-records <n>      the rate limit: records per partition per batch (default: the job's own)
  --from <position>      earliest, latest, an ISO 8601 time or epoch ms, or checkpoint:<job-id>[:<batch>]
                         (a new instance from another's committed batch: its state and offsets after it)
  --token <t>            the idempotency token (default: a new one per run; a retried request with the
                         same token starts nothing new)
  --wait                 follow the job until it stops (an available-now job stops when caught up)
  --timeout <seconds>    with --wait: give up waiting after this long (default: never)

${API_OPTIONS_USAGE}`;
  const { values, positionals } = parse(help, args, {
    'job-id': { type: 'string' },
    param: { type: 'string', multiple: true, default: [] },
    trigger: { type: 'string' },
    'max-records': { type: 'string' },
    from: { type: 'string' },
    token: { type: 'string' },
    wait: { type: 'boolean', default: false },
    timeout: { type: 'string' },
  });
  const jobName = single(help, positionals, 'a job name');
  const body = {
    jobName,
    ...(values['job-id'] === undefined ? {} : { jobId: values['job-id'] }),
    ...(values.param.length === 0 ? {} : { parameters: parameters(help, values.param) }),
    ...(values.trigger === undefined ? {} : { trigger: trigger(help, values.trigger) }),
    ...(values['max-records'] === undefined ? {} : { maxRecordsPerPartition: positiveInteger(help, '--max-records', values['max-records']) }),
    ...(values.from === undefined ? {} : { startingPosition: position(help, values.from) }),
    idempotencyToken: values.token ?? randomUUID(),
  };
  const timeoutMs = values.timeout === undefined ? null : positiveInteger(help, '--timeout', values.timeout) * 1000;
  const client = clientOf(help, values);
  const answer = (await call(client, 'POST', '/jobs', body)) as { job: JobSummary; execution: string; alreadyStarted: boolean };
  const job = answer.job;
  if (values.json) console.log(JSON.stringify(answer, null, 2));
  else {
    console.log(
      answer.alreadyStarted
        ? `job ${job.jobId} was started by an earlier request with this token: driver execution ${answer.execution}, ${job.state}`
        : `started job ${job.jobId} (${job.jobName}): driver execution ${answer.execution}`,
    );
    console.log(`  trigger ${describeTrigger(job.trigger)}; from ${describePosition(job.startingPosition)}`);
    if (!values.wait) console.log(`  follow it: sluice jobs status ${job.jobId}${endpointFlag(values)}`);
  }
  if (!values.wait) process.exit(EXIT.ok);
  return follow(client, job.jobId, { until: 'ended', timeoutMs });
}

async function list(args: string[]): Promise<never> {
  const help = `usage: sluice jobs list [--state RUNNING|STOPPING|STOPPED|FAILED]

Lists the job instances (GET /jobs).

${API_OPTIONS_USAGE}`;
  const { values, positionals } = parse(help, args, { state: { type: 'string' } });
  if (positionals.length > 0) fail(help, `unexpected ${positionals.join(' ')}`);
  const query = values.state === undefined ? '' : `?state=${encodeURIComponent(values.state.toUpperCase())}`;
  const answer = (await call(clientOf(help, values), 'GET', `/jobs${query}`)) as { jobs: JobSummary[] };
  print(values.json, answer, () => formatJobList(answer.jobs));
  process.exit(EXIT.ok);
}

async function status(args: string[]): Promise<never> {
  const help = `usage: sluice jobs status <job-id>

A job's status (GET /jobs/{jobId}): its state, driver execution, last committed batch,
watermark, rates, lag per partition, restarts and last error.

${API_OPTIONS_USAGE}`;
  const { values, positionals } = parse(help, args, {});
  const jobId = single(help, positionals, 'a job id');
  const answer = (await call(clientOf(help, values), 'GET', `/jobs/${encodeURIComponent(jobId)}`)) as unknown as JobStatus;
  print(values.json, answer, () => formatJobStatus(answer));
  process.exit(EXIT.ok);
}

async function batches(args: string[]): Promise<never> {
  const help = `usage: sluice jobs batches <job-id> [--limit <n>] [--next-token <t>] [--all]

A job's batches in its write-ahead log, newest first (GET /jobs/{jobId}/batches).

options:
  --limit <n>         batches per page (1 to 100, default 20)
  --next-token <t>    the page after the one that printed this token
  --all               every page

${API_OPTIONS_USAGE}`;
  const { values, positionals } = parse(help, args, PAGING);
  const jobId = single(help, positionals, 'a job id');
  const paging = pagingOf(help, values);
  const read = await pages<BatchView>(clientOf(help, values), `/jobs/${encodeURIComponent(jobId)}/batches`, { key: 'batches', name: 'batches' }, paging);
  print(values.json, { batches: read.items, nextToken: read.nextToken }, () => [
    ...formatBatches(read.items),
    ...more(`batches ${jobId}`, read.nextToken, { limit: paging.limit }, values),
  ]);
  process.exit(EXIT.ok);
}

async function deadLetters(args: string[]): Promise<never> {
  const help = `usage: sluice jobs dead-letters <job-id> [--partition <p>] [--limit <n>] [--next-token <t>] [--all]

The records a job could not process (GET /jobs/{jobId}/dead-letters): where each one is
(partition, offset), the batch and the pipeline stage it failed in, and why (cut to fit;
--json prints it whole, with the record's payload). In partition order, then offset
order as text.

options:
  --partition <p>     one partition's only (e.g. shardId-000000000001)
  --limit <n>         dead letters per page (1 to 100, default 25)
  --next-token <t>    the page after the one that printed this token
  --all               every page

${API_OPTIONS_USAGE}`;
  const { values, positionals } = parse(help, args, { partition: { type: 'string' }, ...PAGING });
  const jobId = single(help, positionals, 'a job id');
  const paging = pagingOf(help, values);
  const { partition } = values;
  const read = await pages<DeadLetterView>(
    clientOf(help, values),
    `/jobs/${encodeURIComponent(jobId)}/dead-letters`,
    { key: 'deadLetters', name: 'dead letters' },
    paging,
    partition === undefined ? {} : { partition },
  );
  print(values.json, { jobId, deadLetters: read.items, nextToken: read.nextToken }, () => [
    ...formatDeadLetters(read.items),
    ...more(`dead-letters ${jobId}`, read.nextToken, { partition, limit: paging.limit }, values),
  ]);
  process.exit(EXIT.ok);
}

async function stop(args: string[]): Promise<never> {
  const help = `usage: sluice jobs stop <job-id> [--wait] [--timeout <seconds>]

Stops a job gracefully (POST /jobs/{jobId}/stop): its driver finishes the batch in flight,
commits it, and ends. The job is STOPPING until then, STOPPED after.

options:
  --wait               wait until the job is STOPPED, showing its progress
  --timeout <seconds>  with --wait (default 600)

${API_OPTIONS_USAGE}`;
  const { values, positionals } = parse(help, args, { wait: { type: 'boolean', default: false }, timeout: { type: 'string', default: '600' } });
  const jobId = single(help, positionals, 'a job id');
  const timeoutMs = positiveInteger(help, '--timeout', values.timeout) * 1000;
  const client = clientOf(help, values);
  const answer = (await call(client, 'POST', `/jobs/${encodeURIComponent(jobId)}/stop`)) as { job: JobSummary };
  if (values.json) console.log(JSON.stringify(answer, null, 2));
  else console.log(answer.job.state === 'STOPPING' ? `stopping job ${jobId}: its driver finishes the batch in flight, commits, and ends` : `job ${jobId} is ${answer.job.state}${answer.job.reason ? `: ${answer.job.reason}` : ''}`);
  if (!values.wait || answer.job.state !== 'STOPPING') process.exit(EXIT.ok);
  return follow(client, jobId, { until: 'ended', timeoutMs });
}

async function resume(args: string[]): Promise<never> {
  const help = `usage: sluice jobs resume <job-id> [options]

Runs a STOPPED or FAILED job again from its checkpoint (POST /jobs/{jobId}/resume).

options:
  --trigger <t>          available-now, or interval:<ms>[:<max idle ms>] (default: as before)
  --max-records <n>      the rate limit (default: as before)
  --token <t>            the idempotency token (default: a new one per run)
  --wait                 follow the job until it stops
  --timeout <seconds>    with --wait (default: never)

${API_OPTIONS_USAGE}`;
  const { values, positionals } = parse(help, args, {
    trigger: { type: 'string' },
    'max-records': { type: 'string' },
    token: { type: 'string' },
    wait: { type: 'boolean', default: false },
    timeout: { type: 'string' },
  });
  const jobId = single(help, positionals, 'a job id');
  const body = {
    ...(values.trigger === undefined ? {} : { trigger: trigger(help, values.trigger) }),
    ...(values['max-records'] === undefined ? {} : { maxRecordsPerPartition: positiveInteger(help, '--max-records', values['max-records']) }),
    idempotencyToken: values.token ?? randomUUID(),
  };
  const timeoutMs = values.timeout === undefined ? null : positiveInteger(help, '--timeout', values.timeout) * 1000;
  const client = clientOf(help, values);
  const answer = (await call(client, 'POST', `/jobs/${encodeURIComponent(jobId)}/resume`, body)) as { job: JobSummary; execution: string; alreadyStarted: boolean };
  if (values.json) console.log(JSON.stringify(answer, null, 2));
  else console.log(`${answer.alreadyStarted ? 'already resumed' : 'resumed'} job ${jobId}: driver execution ${answer.execution}`);
  if (!values.wait) process.exit(EXIT.ok);
  return follow(client, jobId, { until: 'ended', timeoutMs });
}

// ── helpers ──────────────────────────────────────────────────────────────────────────

/**
 * Polls the job's status every second until it is STOPPED or FAILED, printing each
 * committed batch and each change of state on stderr. Exit 0 when STOPPED, 1 when FAILED
 * or when the time runs out.
 */
async function follow(client: ApiClient, jobId: string, options: { until: 'ended'; timeoutMs: number | null }): Promise<never> {
  const started = Date.now();
  let lastBatch: number | null = null;
  let lastState: string | null = null;
  for (;;) {
    const s = (await call(client, 'GET', `/jobs/${encodeURIComponent(jobId)}`)) as unknown as JobStatus;
    if (s.state !== lastState) {
      progress(`job ${jobId}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`);
      lastState = s.state;
    }
    const b = s.lastCommittedBatch;
    if (b !== null && b.batchId !== lastBatch) {
      if (lastBatch !== null || s.state !== 'RUNNING') {
        progress(`  batch ${b.batchId} committed: ${(b.records ?? 0).toLocaleString('en-US')} records in ${b.durationMs ?? '-'} ms, lag ${b.lagMs === null ? '-' : `${b.lagMs} ms`}`);
      }
      lastBatch = b.batchId;
    }
    if (s.state === 'STOPPED' || s.state === 'FAILED') {
      console.log(`job ${jobId} is ${s.state}${s.reason ? `: ${s.reason}` : ''}${s.lastCommittedBatch ? ` (last committed batch ${s.lastCommittedBatch.batchId})` : ''}`);
      process.exit(s.state === 'STOPPED' ? EXIT.ok : EXIT.failed);
    }
    if (options.timeoutMs !== null && Date.now() - started > options.timeoutMs) {
      console.error(`gave up waiting after ${Math.round(options.timeoutMs / 1000)} s: job ${jobId} is ${s.state}`);
      process.exit(EXIT.failed);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

interface Paging {
  readonly limit: number | undefined;
  readonly token: string | null;
  readonly all: boolean;
}

function pagingOf(help: string, values: { limit?: string | undefined; 'next-token'?: string | undefined; all: boolean }): Paging {
  return {
    limit: values.limit === undefined ? undefined : positiveInteger(help, '--limit', values.limit),
    token: values['next-token'] ?? null,
    all: values.all,
  };
}

/**
 * The items (under `what.key` in the answer) of a paged route's page at the paging's
 * token, and with --all of every page after it; and the token of the page after the last
 * one read (null: none).
 */
async function pages<T>(
  client: ApiClient,
  path: string,
  what: { readonly key: string; readonly name: string },
  paging: Paging,
  filters: Readonly<Record<string, string>> = {},
): Promise<{ items: T[]; nextToken: string | null }> {
  const items: T[] = [];
  let token = paging.token;
  for (let page = 1; ; page += 1) {
    const query = new URLSearchParams({
      ...filters,
      ...(paging.limit === undefined ? {} : { limit: String(paging.limit) }),
      ...(token === null ? {} : { nextToken: token }),
    });
    const answer = await call(client, 'GET', `${path}${query.size > 0 ? `?${query}` : ''}`);
    items.push(...(answer[what.key] as T[]));
    token = answer.nextToken as string | null;
    if (!paging.all || token === null) break;
    if (process.stderr.isTTY) process.stderr.write(`\rread ${page} pages, ${items.length} ${what.name}...`);
  }
  if (paging.all && process.stderr.isTTY) process.stderr.write('\n');
  return { items, nextToken: token };
}

/** The line that says how to read the next page (none after the last): the same command with its token and flags. */
function more(command: string, token: string | null, flags: Readonly<Record<string, string | number | undefined>>, values: { endpoint?: string | undefined }): string[] {
  if (token === null) return [];
  const given = Object.entries(flags).filter((f): f is [string, string | number] => f[1] !== undefined);
  return [`more: sluice jobs ${command} --next-token ${token}${given.map(([flag, value]) => ` --${flag} ${value}`).join('')}${endpointFlag(values)}`];
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A request; an answer of 4xx/5xx is printed and exits (2 for a bad request, 1 otherwise), no answer exits 3. */
async function call(client: ApiClient, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  let response;
  try {
    response = await client.request(method, path, body);
  } catch (error) {
    if (error instanceof ApiUnreachableError) {
      console.error(`error: ${error.message}`);
      if (isLoopback(client.endpoint)) console.error('is the local API running? start it with: npm run api');
      process.exit(EXIT.unreachable);
    }
    throw error;
  }
  if (response.status < 400) return response.body;
  const b = response.body as { error?: string; message?: string; fields?: { field: string; message: string }[]; requestId?: string };
  console.error(`error: ${b.message ?? b.error ?? `HTTP ${response.status}`}`);
  // One field: the message is that field's problem already.
  if ((b.fields ?? []).length > 1) for (const f of b.fields ?? []) console.error(`  ${f.field}: ${f.message}`);
  if (response.status >= 500 && b.requestId) console.error(`  (request id ${b.requestId})`);
  if (response.status === 403) console.error('  the API refused the signature or the caller: check the credentials, --region, and execute-api:Invoke on the API');
  process.exit(response.status === 400 || response.status === 413 ? EXIT.usage : EXIT.failed);
}

function clientOf(help: string, values: { endpoint?: string | undefined; region?: string | undefined; 'no-sign': boolean }): ApiClient {
  const endpoint = values.endpoint ?? process.env.SLUICE_ENDPOINT ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return fail(help, `--endpoint must be a URL such as ${DEFAULT_ENDPOINT}, got ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(help, `--endpoint must be an http or https URL, got ${JSON.stringify(endpoint)}`);
  if (values['no-sign'] || isLoopback(endpoint)) return new ApiClient({ endpoint, signing: null });
  const region = values.region ?? regionOfEndpoint(endpoint) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') fail(help, `signing requests to ${url.host} needs a region: --region, or $AWS_REGION`);
  return new ApiClient({ endpoint, signing: { region } });
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(help: string, args: string[], options: O) {
  return parseCli(help, () => parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true }));
}

function single(help: string, positionals: string[], what: string): string {
  if (positionals.length !== 1) fail(help, positionals.length === 0 ? `expected ${what}` : `expected one ${what.replace(/^an? /, '')}, got ${positionals.join(' ')}`);
  return positionals[0]!;
}

function parameters(help: string, pairs: readonly string[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) fail(help, `--param takes name=value, got ${JSON.stringify(pair)}`);
    const raw = pair.slice(at + 1);
    try {
      out[pair.slice(0, at)] = JSON.parse(raw) as JsonValue;
    } catch {
      out[pair.slice(0, at)] = raw;
    }
  }
  return out;
}

function trigger(help: string, value: string): unknown {
  if (value === 'available-now' || value === 'availableNow') return { type: 'availableNow' };
  const match = /^interval:(\d+)(?::(\d+))?$/.exec(value);
  if (match === null) fail(help, `--trigger must be available-now or interval:<ms>[:<max idle ms>], got ${JSON.stringify(value)}`);
  return { type: 'interval', intervalMs: Number(match[1]), ...(match[2] === undefined ? {} : { maxIdleIntervalMs: Number(match[2]) }) };
}

function position(help: string, value: string): unknown {
  const lower = value.toLowerCase();
  if (lower === 'earliest' || lower === 'latest') return lower;
  if (/^\d+$/.test(value)) return { type: 'timestamp', timestamp: Number(value) };
  if (/^\d{4}-\d\d-\d\dT/.test(value)) return { type: 'timestamp', timestamp: value };
  const checkpoint = /^checkpoint:([^:]+)(?::(\d+))?$/.exec(value);
  if (checkpoint !== null) return { type: 'checkpoint', jobId: checkpoint[1], ...(checkpoint[2] === undefined ? {} : { batchId: Number(checkpoint[2]) }) };
  return fail(help, `--from must be earliest, latest, an ISO 8601 time, epoch ms or checkpoint:<job-id>[:<batch>], got ${JSON.stringify(value)}`);
}

function print(json: boolean, value: unknown, text: () => string[]): void {
  if (json) console.log(JSON.stringify(value, null, 2));
  else for (const line of text()) console.log(line);
}

function endpointFlag(values: { endpoint?: string | undefined }): string {
  return values.endpoint === undefined ? '' : ` --endpoint ${values.endpoint}`;
}

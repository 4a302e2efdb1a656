import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSluice, type Run } from '../support/child-process.js';

let server: Server;
let endpoint: string;
/** What the server answers next, and the requests it got. */
let answer = { status: 200, type: 'application/json', body: '{}' };
const requests: string[] = [];

function sluice(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return runSluice(args, { SLUICE_ENDPOINT: endpoint, ...env });
}

/** No stack and no TypeError: only the command's own lines. */
function expectNoCrash(stderr: string): void {
  expect(stderr).not.toMatch(/TypeError|^\s+at /m);
}

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const EVERY_COMMAND = [
  ['jobs', 'list'],
  ['jobs', 'status', 'pv'],
  ['jobs', 'batches', 'pv'],
  ['jobs', 'dead-letters', 'pv'],
  ['jobs', 'results', 'pv'],
  ['jobs', 'stop', 'pv'],
  ['jobs', 'start', 'page-views'],
  ['jobs', 'resume', 'pv'],
];

describe('sluice jobs against a server that is not the jobs API', () => {
  it.each([
    ['an HTML page', { status: 200, type: 'text/html', body: '<!doctype html>\n<html><body>It works!</body></html>\n' }],
    ['an empty JSON object', { status: 200, type: 'application/json', body: '{}' }],
    ['JSON of another shape', { status: 200, type: 'application/json', body: '{"jobs":"none","job":[],"batches":{}}' }],
  ])('exits 3 with one line for %s, from every command', { timeout: 180_000 }, async (_name, junk) => {
    answer = junk;
    const runs = await Promise.all(EVERY_COMMAND.map((args) => sluice(args)));
    for (const [i, run] of runs.entries()) {
      const command = EVERY_COMMAND[i]!.join(' ');
      expect(run.code, `${command}: ${run.stderr}`).toBe(3);
      expectNoCrash(run.stderr);
      expect(run.stderr.trimEnd().split('\n'), command).toEqual([
        expect.stringMatching(new RegExp(`^error: ${endpoint} is not the jobs API .*; check --endpoint \\(or \\$SLUICE_ENDPOINT\\)$`)),
      ]);
    }
  });

  it('exits 1 with one line for an HTML error page', async () => {
    answer = { status: 404, type: 'text/html', body: '<html>\n<h1>Not Found</h1>\n</html>\n' };
    const run = await sluice(['jobs', 'status', 'pv']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: <html> <h1>Not Found</h1> </html>\n');
  });
});

describe('sluice jobs with a bad job id or number', () => {
  it.each([[''], ['.'], ['..'], ['a/b'], ['../jobs'], ['%2e']])('refuses the job id %j before any request (exit 2)', async (id) => {
    const before = requests.length;
    const run = await sluice(['jobs', 'status', id]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: command-argument value .* is invalid for argument 'job-id'\. A job id must be /);
    expectNoCrash(run.stderr);
    expect(requests.length).toBe(before);
  });

  it.each(
    [
      ['jobs', 'batches', 'pv', '--limit', '1e3'],
      ['jobs', 'results', 'pv', '--limit', '0x10'],
      ['jobs', 'start', 'page-views', '--max-records', '1.0'],
      ['jobs', 'stop', 'pv', '--wait', '--timeout', ' 5'],
      ['jobs', 'start', 'page-views', '--trigger', 'interval:1e3'],
      ['jobs', 'start', 'page-views', '--from', 'checkpoint:pv:0x1'],
      ['jobs', 'start', 'page-views', '--job-id', '..'],
      ['jobs', 'start', 'page-views', '--param', '__proto__={"x":1}'],
      ['jobs', 'start', 'page-views', '--param', 'constructor=1'],
      ['jobs', 'start', 'page-views', '--param', 'prototype=1'],
    ].map((args) => [args.map((a) => JSON.stringify(a)).join(' '), args] as const),
  )('refuses %s (exit 2)', async (_title, args) => {
    const before = requests.length;
    const run = await sluice(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: option '--[a-z-]+ <[^>]+>' argument .* is invalid\./);
    expect(requests.length).toBe(before);
  });
});

/** An environment in which the SDK's default chain finds no credentials (and asks no instance metadata service). */
const NO_CREDENTIALS_ENV = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: '',
  AWS_CONFIG_FILE: '/nonexistent/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
  AWS_WEB_IDENTITY_TOKEN_FILE: '',
};

describe('sluice jobs without the API', () => {
  it('fails in seconds on a closed port (exit 3)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const started = Date.now();
    const run = await sluice(['jobs', 'list', '--endpoint', url]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^error: cannot reach the jobs API at ${url}: ECONNREFUSED`));
    expectNoCrash(run.stderr);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('says there are no AWS credentials to sign with (exit 5), and warns of plain http', async () => {
    answer = { status: 200, type: 'application/json', body: '{"jobs":[]}' };
    // An IPv4-mapped address of this machine: not a loopback name, so the request is signed.
    const url = endpoint.replace('127.0.0.1', '[::ffff:127.0.0.1]');
    const run = await sluice(['jobs', 'list', '--endpoint', url, '--region', 'eu-west-1'], NO_CREDENTIALS_ENV);
    expect(run.code, run.stderr).toBe(5);
    expectNoCrash(run.stderr);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^warning: signing requests to \[::ffff:7f00:1\]:\d+ over plain http/);
    expect(lines[1]).toMatch(/^error: no AWS credentials to sign requests to http:\/\/\[::ffff:127\.0\.0\.1\]:\d+ with: /);
    expect(lines[2]).toMatch(/^ {2}set AWS_PROFILE/);
  });

  it('says so for an operator command with --aws too (exit 5)', async () => {
    const run = await sluice(
      [
        'checkpoints',
        'list',
        '--job',
        'pv',
        '--aws',
        '--wal-table',
        't',
        '--dead-letter-table',
        'd',
        '--bucket',
        'b',
        '--region',
        'eu-west-1',
      ],
      { ...NO_CREDENTIALS_ENV, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    );
    expect(run.code, run.stderr).toBe(5);
    expectNoCrash(run.stderr);
    expect(run.stderr).toMatch(/^error: no AWS credentials: .*\n {2}set AWS_PROFILE/m);
  });
});

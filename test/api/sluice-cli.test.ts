import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import { startLocalApi, type LocalApi } from '../../local/api-runtime.js';
import { catalog } from '../../jobs/catalog.js';
import { runSluice, type Run } from '../support/child-process.js';

let api: LocalApi;

function sluice(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return runSluice(args, { SLUICE_ENDPOINT: api.url, ...env });
}

beforeAll(async () => {
  // Real time: the state machines' clocks are real.
  const ports = { ...createMemoryPorts(), clock: systemClock };
  ports.source.createStream('clicks', ['p0', 'p1']);
  const encoder = new TextEncoder();
  for (const [p, partition] of ['p0', 'p1'].entries()) {
    ports.source.append(
      'clicks',
      partition,
      Array.from({ length: 50 }, (_, i) => ({
        key: `/page-${p}`,
        data: encoder.encode(JSON.stringify({ page: `/page-${p}`, ts: 1_000 * i })),
      })),
    );
  }
  // Bad records among good ones: 3 in p1, 2 in p10 (a partition whose id starts with p1's).
  ports.source.createStream('bad-clicks', ['p1', 'p10']);
  for (const [partition, bad] of [
    ['p1', 3],
    ['p10', 2],
  ] as const) {
    ports.source.append(
      'bad-clicks',
      partition,
      Array.from({ length: 10 }, (_, i) => ({
        key: 'k',
        data: encoder.encode(i < bad ? `{"page": ${i}` : JSON.stringify({ page: '/p', ts: 1_000 * i })),
      })),
    );
  }
  api = await startLocalApi({ ports, registry: new MemoryJobRegistry(), catalog, port: 0, driver: { retryDelayMs: 10 } });
});

afterAll(async () => {
  await api?.close();
});

describe('the sluice command', () => {
  it('starts a job and follows it to the end, then shows its status, list and batches', async () => {
    const started = await sluice([
      'jobs',
      'start',
      'page-views',
      '--job-id',
      'cli',
      '--param',
      'streamName=clicks',
      '--max-records',
      '20',
      '--trigger',
      'available-now',
      '--from',
      'earliest',
      '--wait',
    ]);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('started job cli (page-views): driver execution cli-1');
    expect(started.stdout).toContain('trigger available now (stops when caught up); from earliest');
    expect(started.stderr).toMatch(/batch \d+ committed: [\d,]+ records in \d+ ms/);
    expect(started.stdout).toMatch(/job cli is STOPPED: caught-up \(last committed batch \d+\)/);

    const [status, list, batches, json] = await Promise.all([
      sluice(['jobs', 'status', 'cli']),
      sluice(['jobs', 'list']),
      sluice(['jobs', 'batches', 'cli', '--limit', '2']),
      sluice(['jobs', 'status', 'cli', '--json']),
    ]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('job cli (page-views)  STOPPED: caught-up');
    expect(status.stdout).toContain('rate limit    20 records per partition per batch');
    expect(status.stdout).toMatch(/p0 +caught up/);
    expect(list.stdout).toMatch(/^JOB ID +JOB +STATE/);
    expect(list.stdout).toMatch(/cli +page-views +STOPPED/);
    expect(batches.stdout).toMatch(/^BATCH +STATUS +RECORDS/);
    expect(batches.stdout).toMatch(/more: sluice jobs batches cli --next-token \S+ --limit 2/);
    expect(JSON.parse(json.stdout)).toMatchObject({ jobId: 'cli', state: 'STOPPED', stateSize: { rows: expect.any(Number) } });
  });

  it('stops a running job and waits, showing its progress', async () => {
    const started = await sluice([
      'jobs',
      'start',
      'page-views',
      '--job-id',
      'cli-stop',
      '--param',
      'streamName=clicks',
      '--param',
      'sinkTable=cli-stop-views',
      '--trigger',
      'interval:100:200',
    ]);
    expect(started.code).toBe(0);
    const stopped = await sluice(['jobs', 'stop', 'cli-stop', '--wait', '--timeout', '60']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('stopping job cli-stop: its driver finishes the batch in flight, commits, and ends');
    expect(stopped.stdout).toContain('job cli-stop is STOPPED: stopped');
    const again = await sluice(['jobs', 'stop', 'cli-stop']);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('job cli-stop is STOPPED: stopped') });
  });

  it("refuses a start into another instance's sink, naming the owner and --force; --force takes it over from a stopped owner", async () => {
    const start = (jobId: string, ...more: string[]) =>
      sluice([
        'jobs',
        'start',
        'page-views',
        '--job-id',
        jobId,
        '--param',
        'streamName=clicks',
        '--param',
        'sinkTable=owned-views',
        ...more,
      ]);
    const first = await start('owner', '--trigger', 'available-now', '--from', 'earliest', '--wait');
    expect(first.code).toBe(0);
    const refused = await start('second');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('DynamoDB table owned-views is owned by job owner (STOPPED: caught-up)');
    expect(refused.stderr).toContain('"force": true in the start request (sluice jobs start --force)');
    const forced = await start('second', '--force', '--trigger', 'available-now', '--wait');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('took DynamoDB table owned-views over from job owner');
    const resumed = await sluice(['jobs', 'resume', 'owner']);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain('DynamoDB table owned-views is owned by job second');
  });

  it('lists the dead letters of a job a page at a time, every page with --all, one partition with --partition', async () => {
    const started = await sluice([
      'jobs',
      'start',
      'page-views',
      '--job-id',
      'cli-bad',
      '--param',
      'streamName=bad-clicks',
      '--param',
      'sinkTable=cli-bad-views',
      '--trigger',
      'available-now',
      '--from',
      'earliest',
      '--wait',
    ]);
    expect(started.code).toBe(0);

    const [page, all, one, json] = await Promise.all([
      sluice(['jobs', 'dead-letters', 'cli-bad', '--limit', '2']),
      sluice(['jobs', 'dead-letters', 'cli-bad', '--all', '--limit', '2']),
      sluice(['jobs', 'dead-letters', 'cli-bad', '--partition', 'p1']),
      sluice(['jobs', 'dead-letters', 'cli-bad', '--json', '--limit', '4']),
    ]);
    expect(page.code).toBe(0);
    const lines = page.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PARTITION +OFFSET +BATCH +STAGE +REASON +RECORDED$/);
    expect(lines.slice(1, 3)).toEqual([
      expect.stringMatching(/^p1 +\d+ +\d+ +decode +SyntaxError: .*JSON.* +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
      expect.stringMatching(/^p1 +\d+ +\d+ +decode +SyntaxError: /),
    ]);
    const token = /^more: sluice jobs dead-letters cli-bad --next-token (\S+) --limit 2$/.exec(lines[3]!)?.[1];
    expect(token, lines[3]).toBeDefined();
    const next = await sluice(['jobs', 'dead-letters', 'cli-bad', '--next-token', token!, '--limit', '2']);
    expect(
      next.stdout
        .split('\n')
        .slice(1, 3)
        .map((l) => l.split(/ +/)[0]),
    ).toEqual(['p1', 'p10']);

    expect(all.code).toBe(0);
    const rows = all.stdout.trimEnd().split('\n');
    expect(rows.slice(1).map((l) => l.split(/ +/)[0])).toEqual(['p1', 'p1', 'p1', 'p10', 'p10']);
    expect(all.stdout).not.toContain('more:');
    expect(
      one.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/ +/)[0]),
    ).toEqual(['p1', 'p1', 'p1']);

    const answer = JSON.parse(json.stdout);
    expect(answer).toMatchObject({ jobId: 'cli-bad', nextToken: expect.any(String) });
    expect(answer.deadLetters).toHaveLength(4);
    expect(answer.deadLetters[0]).toMatchObject({
      partition: 'p1',
      stage: 'decode',
      payloadText: '{"page": 0',
      payloadBase64: Buffer.from('{"page": 0').toString('base64'),
    });
  });

  it.each([
    // What, the exit code, the error, the arguments, and whether the usage follows (a bad flag, not a 400).
    [
      'a page size of 0',
      2,
      "error: option '--limit <n>' argument '0' is invalid. Expected a positive integer.",
      ['cli-bad', '--limit', '0'],
      true,
    ],
    ['an unknown flag', 2, "error: unknown option '--shard'", ['cli-bad', '--shard', 'p1'], true],
    ['no job id', 2, "error: missing required argument 'job-id'", [], true],
    ['a page size above 100', 2, 'error: limit must be an integer from 1 to 100, got 101', ['cli-bad', '--limit', '101'], false],
    ['a token not of the API', 2, 'error: nextToken is not a token this API returned', ['cli-bad', '--next-token', 'nope'], false],
    ['an unknown job', 1, 'error: no job instance nobody', ['nobody'], false],
  ] as const)('dead-letters with %s exits %d', async (_what, code, message, args, usage) => {
    const result = await sluice(['jobs', 'dead-letters', ...args]);
    expect(result).toMatchObject({ code, stderr: expect.stringContaining(message) });
    expect(result.stderr.includes('usage: sluice jobs dead-letters <job-id>')).toBe(usage);
  });

  it.each([
    // The arguments, and the flag and value the one-line error names.
    [['start', 'page-views', '--max-records', '1e3'], "option '--max-records <n>' argument '1e3' is invalid. Expected a positive integer."],
    [
      ['start', 'page-views', '--wait', '--timeout', ''],
      "option '--timeout <seconds>' argument '' is invalid. Expected a positive integer.",
    ],
    [['batches', 'cli', '--limit', '0x10'], "option '--limit <n>' argument '0x10' is invalid. Expected a positive integer."],
    [['stop', 'cli', '--timeout', '1.5'], "option '--timeout <seconds>' argument '1.5' is invalid. Expected a positive integer."],
    [
      ['start', 'page-views', '--param', '__proto__={"polluted":true}'],
      `option '--param <name=value>' argument '__proto__={"polluted":true}' is invalid. __proto__ cannot be a parameter name.`,
    ],
    [
      ['start', 'page-views', '--param', 'constructor=1'],
      "option '--param <name=value>' argument 'constructor=1' is invalid. constructor cannot be a parameter name.",
    ],
  ] as const)('refuses jobs %j with exit 2, before any request', async (args, message) => {
    const result = await sluice(['jobs', ...args], { SLUICE_ENDPOINT: 'http://127.0.0.1:9' });
    expect(result.code).toBe(2);
    // One line of error, then the command's usage; no request was tried (port 9 would exit 3).
    expect(result.stderr.split('\n').slice(0, 3)).toEqual([`error: ${message}`, '', expect.stringMatching(/^usage: sluice jobs \S+ /)]);
  });

  it('exits 1 when the operation fails, 2 on bad usage, 3 when the API cannot be reached', async () => {
    const [unknownJob, badFlag, badName, unreachable, noCommand, help, checkpointsHelp] = await Promise.all([
      sluice(['jobs', 'status', 'nobody']),
      sluice(['jobs', 'start', 'page-views', '--trigger', 'sometimes']),
      sluice(['jobs', 'start', 'page-veiws']),
      sluice(['jobs', 'list'], { SLUICE_ENDPOINT: 'http://127.0.0.1:9' }),
      sluice(['bogus']),
      sluice(['--help']),
      sluice(['checkpoints', '--help']),
    ]);
    expect(unknownJob).toMatchObject({ code: 1, stderr: expect.stringContaining('error: no job instance nobody') });
    expect(badFlag).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        "error: option '--trigger <t>' argument 'sometimes' is invalid. Expected available-now or interval:<ms>[:<max idle ms>].",
      ),
    });
    expect(badName).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error: jobName is not a job of this deployment's catalog (known: page-views, smoke)"),
    });
    expect(unreachable).toMatchObject({ code: 3, stderr: expect.stringContaining('cannot reach the jobs API at http://127.0.0.1:9') });
    expect(unreachable.stderr).toContain('npm run api');
    expect(noCommand).toMatchObject({ code: 2, stderr: expect.stringContaining("error: unknown command 'bogus'") });
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: sluice <command> [options]') });
    expect(checkpointsHelp).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: sluice checkpoints list --job <id>') });
  });
});

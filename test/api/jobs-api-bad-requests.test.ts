/**
 * Requests the jobs API over HTTP on the local runtime (test/support/jobs-api-http.ts)
 * refuses, each with a clear JSON error: bad bodies, fields, paging tokens and page sizes,
 * unknown jobs and routes, and bodies nested or wide enough to make a long answer. Every
 * request is a real HTTP request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsApiOverHttp, waitFor } from '../support/jobs-api-http.js';
import { createAwsJobWorld } from '../support/job-world-aws.js';

const { start, close, call } = jobsApiOverHttp();

beforeAll(async () => {
  const world = await createAwsJobWorld({ shards: 1, prefix: 'api-refusals', registryInWalTable: true });
  await start(world);
  // Job views exists, as the requests below about its batches and dead letters expect: they
  // are refused for what they ask, not for the job.
  const started = await call('POST', '/jobs', {
    jobName: 'page-views',
    jobId: 'views',
    parameters: { streamName: world.streamName, sinkTable: world.sinkTable },
    trigger: { type: 'availableNow' },
  });
  expect(started.status).toBe(201);
  await waitFor('views caught up and stopped', async () => (await call('GET', '/jobs/views')).body.state === 'STOPPED');
});

afterAll(close);

describe('the jobs API over HTTP on the local runtime', () => {
  it.each([
    [
      'an impossible calendar date',
      'POST',
      '/jobs',
      '{"jobName":"page-views","startingPosition":{"type":"timestamp","timestamp":"2026-02-30T00:00:00Z"}}',
      400,
      {
        fields: [
          {
            field: 'startingPosition.timestamp',
            message: expect.stringContaining('"2026-02-30T00:00:00Z" has day 30 of 2026-02, which has 28 days'),
          },
        ],
      },
    ],
    [
      'a timestamp past the last date JavaScript holds',
      'POST',
      '/jobs',
      '{"jobName":"page-views","startingPosition":{"type":"timestamp","timestamp":8640000000000001}}',
      400,
      { fields: [{ field: 'startingPosition.timestamp', message: 'must be an integer from 0 to 8640000000000000, got 8640000000000001' }] },
    ],
    [
      'bad JSON',
      'POST',
      '/jobs',
      '{"jobName": ',
      400,
      {
        error: 'BadRequest',
        message: expect.stringContaining('the body is not JSON'),
        fields: [{ field: 'body', message: 'must be a JSON object' }],
      },
    ],
    ['no body', 'POST', '/jobs', undefined, 400, { fields: [{ field: 'body', message: 'must be a JSON object, got nothing' }] }],
    [
      'an unknown job name',
      'POST',
      '/jobs',
      '{"jobName":"page-veiws"}',
      400,
      {
        fields: [
          { field: 'jobName', message: expect.stringContaining("is not a job of this deployment's catalog (known: page-views, smoke)") },
        ],
      },
    ],
    [
      'a bad trigger',
      'POST',
      '/jobs',
      '{"jobName":"page-views","trigger":{"type":"interval","intervalMs":-5}}',
      400,
      { fields: [{ field: 'trigger.intervalMs', message: 'must be an integer from 1 to 86400000, got -5' }] },
    ],
    [
      'a bad starting position',
      'POST',
      '/jobs',
      '{"jobName":"page-views","startingPosition":"yesterday"}',
      400,
      {
        fields: [{ field: 'startingPosition', message: expect.stringContaining('must be "earliest", "latest" or an object with a type') }],
      },
    ],
    [
      'a bad timestamp and an unknown field at once',
      'POST',
      '/jobs',
      '{"jobName":"page-views","startingPosition":{"type":"timestamp","timestamp":"noon"},"maxRecordsPerPartiton":5}',
      400,
      {
        fields: [
          { field: 'maxRecordsPerPartiton', message: expect.stringContaining('is not a known field') },
          { field: 'startingPosition.timestamp', message: expect.stringContaining('must be an ISO 8601 time') },
        ],
      },
    ],
    [
      'a bad catalog parameter',
      'POST',
      '/jobs',
      '{"jobName":"page-views","parameters":{"shards":4}}',
      400,
      { fields: [{ field: 'parameters', message: expect.stringContaining('job page-views has no parameter "shards"') }] },
    ],
    [
      'an engine parameter',
      'POST',
      '/jobs',
      '{"jobName":"page-views","parameters":{"sluice.startingPosition":"LATEST"}}',
      400,
      { fields: [{ field: 'parameters.sluice.startingPosition', message: expect.stringContaining('is reserved') }] },
    ],
    [
      'a bad paging token',
      'GET',
      '/jobs/views/batches?nextToken=bm9wZQ',
      undefined,
      400,
      { fields: [{ field: 'nextToken', message: expect.stringContaining('is not a token this API returned') }] },
    ],
    [
      'a bad page size',
      'GET',
      '/jobs/views/batches?limit=0',
      undefined,
      400,
      { fields: [{ field: 'limit', message: 'must be an integer from 1 to 100, got 0' }] },
    ],
    [
      'a dead-letter page size of 0',
      'GET',
      '/jobs/views/dead-letters?limit=0',
      undefined,
      400,
      { fields: [{ field: 'limit', message: 'must be an integer from 1 to 100, got 0' }] },
    ],
    [
      'a dead-letter page size above 100',
      'GET',
      '/jobs/views/dead-letters?limit=101',
      undefined,
      400,
      { fields: [{ field: 'limit', message: 'must be an integer from 1 to 100, got 101' }] },
    ],
    [
      'a dead-letter page size that is no number',
      'GET',
      '/jobs/views/dead-letters?limit=x',
      undefined,
      400,
      { fields: [{ field: 'limit', message: 'must be an integer from 1 to 100, got "x"' }] },
    ],
    [
      'a bad dead-letter page size and an empty partition at once',
      'GET',
      '/jobs/views/dead-letters?limit=-1&partition=',
      undefined,
      400,
      {
        fields: [
          { field: 'limit', message: 'must be an integer from 1 to 100, got -1' },
          { field: 'partition', message: 'must be 1 to 256 characters, got 0' },
        ],
      },
    ],
    [
      'a bad dead-letter token',
      'GET',
      '/jobs/views/dead-letters?nextToken=bm9wZQ',
      undefined,
      400,
      { fields: [{ field: 'nextToken', message: expect.stringContaining('is not a token this API returned') }] },
    ],
    [
      'the dead letters of an unknown job',
      'GET',
      '/jobs/nobody/dead-letters',
      undefined,
      404,
      { error: 'NotFound', message: 'no job instance nobody (GET /jobs lists them)' },
    ],
    [
      'a bad job id',
      'GET',
      '/jobs/no%20such',
      undefined,
      400,
      { fields: [{ field: 'jobId', message: expect.stringContaining("1 to 60 letters, digits, '-' or '_'") }] },
    ],
    [
      'an unknown job',
      'GET',
      '/jobs/nobody',
      undefined,
      404,
      { error: 'NotFound', message: 'no job instance nobody (GET /jobs lists them)' },
    ],
    ['stopping an unknown job', 'POST', '/jobs/nobody/stop', undefined, 404, { error: 'NotFound' }],
    [
      'an unknown route',
      'GET',
      '/jobz',
      undefined,
      404,
      { error: 'NotFound', message: expect.stringContaining('no route GET /jobz (the routes: POST /jobs, GET /jobs,') },
    ],
    [
      'a method the route does not have',
      'DELETE',
      '/jobs/views',
      undefined,
      404,
      { error: 'NotFound', message: expect.stringContaining('no route DELETE /jobs/views') },
    ],
  ] as const)('answers %s with a clear JSON error', async (_what, method, path, raw, status, body) => {
    const response = await call(method, path, undefined, raw);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ ...body, requestId: expect.any(String) });
  });

  it('answers a field nested thousands of levels deep, or thousands of unknown fields, with a short 400', async () => {
    const deep = `${'['.repeat(4_100)}1${']'.repeat(4_100)}`;
    for (const field of ['jobName', 'parameters', 'trigger', 'startingPosition']) {
      const response = await call('POST', '/jobs', undefined, `{"jobName":"page-views","${field}":${deep}}`);
      expect(response.status, field).toBe(400);
      expect(response.body.fields, field).toEqual([{ field, message: expect.stringMatching(/^must be .*, got \[{77}\.\.\.$/) }]);
      expect(JSON.stringify(response.body).length, field).toBeLessThan(1_000);
    }
    const nested = await call('POST', '/jobs', undefined, `{"jobName":"page-views","parameters":{"a":${deep}}}`);
    expect(nested).toMatchObject({
      status: 400,
      body: { fields: [{ field: 'parameters', message: 'must be at most 4096 bytes as JSON, got 8207' }] },
    });

    const unknown = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`f${i}`, 0]));
    const many = await call('POST', '/jobs', { jobName: 'page-views', ...unknown });
    expect(many.status).toBe(400);
    expect(many.body.message).toMatch(/^f0 is not a known field \(known: jobName, .*\) \(and 4999 more problems\)$/);
    expect(many.body.fields).toHaveLength(10);
    expect(JSON.stringify(many.body).length).toBeLessThan(4_096);
  });
});

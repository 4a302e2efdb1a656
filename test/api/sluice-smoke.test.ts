/**
 * `sluice smoke`, the step after `cdk deploy`, run against the local jobs API as it runs
 * against a deployed stack: the same command, with --endpoint (or --stack, answered by a
 * CloudFormation stand-in on loopback whose ApiUrl output is the local API). The API
 * runs on the test stand-ins and writes its data directory's endpoints.json as `npm run
 * api` does; the smoke run creates its stream and table there.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSinkTable } from '../../engine/adapters/aws/index.js';
import type { LocalApi } from '../../local/api-runtime.js';
import { testAwsClients, uniqueName } from '../support/aws.js';
import { runSluice } from '../support/child-process.js';
import { startLocalApiOnStandIns } from '../support/local-api.js';

let api: LocalApi;
let dataDir: string;
let cloudFormation: Server;
/** What the CloudFormation stand-in answers DescribeStacks with. */
let stackAnswer: { status: number; body: string };

function sluice(args: readonly string[], env: Record<string, string> = {}) {
  return runSluice(args, { SLUICE_DATA_DIR: dataDir, ...env }, { unset: ['SLUICE_ENDPOINT'] });
}

/** The stack lookup's environment: CloudFormation on loopback, and credentials to sign with. */
function stackEnv(): Record<string, string> {
  const { port } = cloudFormation.address() as AddressInfo;
  return {
    AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'AKIDSMOKE',
    AWS_SECRET_ACCESS_KEY: 'smoke',
    AWS_REGION: 'eu-west-1',
  };
}

function describeStacksAnswer(outputs: Readonly<Record<string, string>>): string {
  const members = Object.entries(outputs)
    .map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`)
    .join('');
  return `<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>Sluice</StackName><Outputs>${members}</Outputs><StackStatus>UPDATE_COMPLETE</StackStatus></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`;
}

async function exists(describe: () => Promise<unknown>): Promise<boolean> {
  try {
    await describe();
    return true;
  } catch {
    return false;
  }
}

const streamExists = (name: string) => exists(() => testAwsClients().kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })));
const tableExists = (name: string) => exists(() => testAwsClients().dynamodb.send(new DescribeTableCommand({ TableName: name })));

beforeAll(async () => {
  ({ api, dataDir } = await startLocalApiOnStandIns('smoke'));
  stackAnswer = { status: 200, body: describeStacksAnswer({ ApiUrl: api.url }) };
  cloudFormation = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const signed = /^AWS4-HMAC-SHA256 Credential=AKIDSMOKE\/\d{8}\/eu-west-1\/cloudformation\//.test(request.headers.authorization ?? '');
      const asked = new URLSearchParams(body);
      const ok = signed && asked.get('Action') === 'DescribeStacks' && asked.get('StackName') === 'Sluice';
      response.writeHead(ok ? stackAnswer.status : 403, { 'content-type': 'text/xml' });
      response.end(ok ? stackAnswer.body : '<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>');
    });
  });
  await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => cloudFormation?.close(resolve));
});

describe('sluice smoke against the local jobs API', () => {
  it('creates the stream and table, runs the smoke job to exact results, stops it, and deletes them', async () => {
    const name = uniqueName('smoke-run');
    const run = await sluice(['smoke', '--endpoint', api.url, '--name', name, '--records', '60', '--timeout', '120']);
    expect(run.stderr).not.toContain('error:');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`jobs API ${api.url}`);
    expect(run.stdout).toContain(`created stream ${name} (2 shards) and table ${name} in the local runtime in ${dataDir}`);
    expect(run.stdout).toContain('wrote 60 records over 7 keys');
    expect(run.stdout).toContain('results exact: 7 rows, one per key, with its count of the 60 records');
    expect(run.stdout).toContain(`deleted stream ${name} and table ${name}`);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('smoke test passed');

    // The results it checked are in the job's sink as the API read them; the job ended STOPPED; both resources are gone.
    const jobId = /started job (smoke-\S+):/.exec(run.stdout)?.[1];
    expect(jobId).toBeDefined();
    const status = (await (await fetch(`${api.url}/jobs/${jobId}`)).json()) as { state: string; parameters: unknown };
    expect(status).toMatchObject({ state: 'STOPPED', parameters: { name } });
    expect(await streamExists(name)).toBe(false);
    expect(await tableExists(name)).toBe(false);
  });

  it("finds the API through the stack's ApiUrl output, and refuses to run over a table an earlier run left (exit 4), deleting nothing", async () => {
    const name = uniqueName('smoke-left');
    await createSinkTable(testAwsClients().dynamodb, name);
    const run = await sluice(['smoke', '--stack', 'Sluice', '--name', name], stackEnv());
    expect(run.code).toBe(4);
    expect(run.stdout).toContain(`jobs API ${api.url} (output ApiUrl of stack Sluice, UPDATE_COMPLETE)`);
    expect(run.stderr).toContain(`error: the table ${name} exists already in the local runtime in ${dataDir}: an earlier run left it`);
    expect(run.stdout).toContain('smoke test FAILED (exit 4)');
    expect(await tableExists(name)).toBe(true);
    expect(await streamExists(name)).toBe(false);
  });

  it('exits 3 when the stack has no ApiUrl output, or CloudFormation refuses, or the API does not answer', async () => {
    stackAnswer = { status: 200, body: describeStacksAnswer({ WalTableName: 'wal' }) };
    const noOutput = await sluice(['smoke', '--stack', 'Sluice'], stackEnv());
    expect(noOutput.code).toBe(3);
    expect(noOutput.stderr).toContain('stack Sluice (UPDATE_COMPLETE) has no ApiUrl output');

    stackAnswer = {
      status: 400,
      body: '<ErrorResponse><Error><Code>ValidationError</Code><Message>Stack with id Sluice does not exist</Message></Error></ErrorResponse>',
    };
    const missing = await sluice(['smoke', '--stack', 'Sluice'], stackEnv());
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('ValidationError: Stack with id Sluice does not exist');
    stackAnswer = { status: 200, body: describeStacksAnswer({ ApiUrl: api.url }) };

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const dead = await sluice(['smoke', '--endpoint', `http://127.0.0.1:${port}`]);
    expect(dead.code).toBe(3);
    expect(dead.stderr).toContain(
      `error: checking the jobs API (GET /jobs): cannot reach the jobs API at http://127.0.0.1:${port}: ECONNREFUSED`,
    );
  });

  it('exits 5 with its own message when there are no AWS credentials to describe the stack with', async () => {
    const run = await sluice(['smoke', '--stack', 'Sluice'], {
      ...stackEnv(),
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: join(dataDir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
    });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('error: no AWS credentials');
  });
});

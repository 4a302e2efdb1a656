import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { StepFunctionsDriverExecutions } from '../../engine/adapters/aws/step-functions-driver-executions.js';
import type { StartGenerationResult } from '../../engine/driver/tasks.js';
import { JobSpecError } from '../../engine/errors.js';
import { LOCAL_ARNS } from '../../local/driver-runtime.js';
import { startStepFunctionsApi } from '../../local/step-functions-api.js';
import { LocalStepFunctions, type LocalLambda } from '../../local/step-functions.js';
import type { DriverExecutionInput } from '../../engine/ports/driver-executions.js';
import { JobState } from '../../engine/ports/job-registry.js';
import { PLACEHOLDERS, batchesDefinition, driverDefinition, substitute, type Placeholder } from '../../infra/state-machines/definitions.js';
import type { DriverFunction } from '../../infra/state-machines/functions.js';
import { describeDriverExecutionsContract, type DriverExecutionsFixture } from './driver-executions.contract.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  // The runtime last: the front and the client are in front of it.
  for (const close of closers.splice(0).reverse()) await close();
});

/**
 * The driver's real definitions on LocalStepFunctions, with fake functions that steer an
 * execution by its job id (driver-executions.contract.ts): StartGeneration fails for good,
 * waits, or answers that the job is stopped (the shortest way to a Succeed state).
 */
function steeredRuntime(): { runtime: LocalStepFunctions; release(): void } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const startGeneration: LocalLambda = async (event) => {
    const { jobId } = event as DriverExecutionInput;
    if (jobId.startsWith('fail-')) throw new JobSpecError(`no job named ${jobId}`);
    if (jobId.startsWith('hold-')) await held;
    return { action: 'stop', state: JobState.STOPPED, reason: 'stopped' } satisfies StartGenerationResult;
  };
  const unused =
    (fn: DriverFunction): LocalLambda =>
    async () => {
      throw new Error(`the ${fn} function is not on the path of these executions`);
    };
  // The function ARNs are never called: the runtime maps each task to its function by state name.
  const arns = Object.fromEntries(
    Object.values(PLACEHOLDERS).map((p) => [
      p,
      p === PLACEHOLDERS.batchesStateMachine ? LOCAL_ARNS.batches : `arn:aws:lambda:us-east-1:000000000000:function:${p}`,
    ]),
  ) as Record<Placeholder, string>;
  const runtime = new LocalStepFunctions({
    definitions: { driver: substitute(driverDefinition(), arns), batches: substitute(batchesDefinition(), arns) },
    arns: { driver: LOCAL_ARNS.driver, batches: LOCAL_ARNS.batches },
    lambdas: {
      startGeneration,
      endGeneration: async () => ({}),
      plan: unused('plan'),
      execute: unused('execute'),
      route: unused('route'),
      executeGroups: unused('executeGroups'),
      finish: unused('finish'),
      supervisor: unused('supervisor'),
    },
    retryDelayMs: 1,
  });
  closers.push(() => {
    release();
    return runtime.close();
  });
  return { runtime, release };
}

/** The SDK client on a Step Functions API front of its own runtime. */
async function sdkOnFront(runtime: LocalStepFunctions): Promise<SFNClient> {
  const api = await startStepFunctionsApi(runtime, { stateMachineArn: LOCAL_ARNS.driver });
  const client = new SFNClient({ endpoint: api.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  closers.push(async () => {
    client.destroy();
    await api.close();
  });
  return client;
}

describeDriverExecutionsContract('LocalStepFunctions', (): DriverExecutionsFixture => {
  const { runtime, release } = steeredRuntime();
  return { executions: runtime, release };
});

describeDriverExecutionsContract(
  'Step Functions (SFNClient on the local Step Functions API)',
  async (): Promise<DriverExecutionsFixture> => {
    const { runtime, release } = steeredRuntime();
    const client = await sdkOnFront(runtime);
    return { executions: new StepFunctionsDriverExecutions({ client, stateMachineArn: LOCAL_ARNS.driver }), release };
  },
);

describe('the local Step Functions API through the SDK', () => {
  it('answers an operation it does not implement with UnknownOperationException', async () => {
    const client = await sdkOnFront(steeredRuntime().runtime);
    await expect(client.send(new StopExecutionCommand({ executionArn: `${LOCAL_ARNS.driver}:x` }))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('answers a body that is JSON but no object with SerializationException (a client error, not retried)', async () => {
    const api = await startStepFunctionsApi(steeredRuntime().runtime, { stateMachineArn: LOCAL_ARNS.driver });
    closers.push(() => api.close());
    for (const body of ['null', '[1]', '"x"']) {
      const response = await fetch(api.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution' },
        body,
      });
      expect(response.status, body).toBe(400);
      expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
    }
  });

  it('a start on a state machine it does not front fails: it is neither started nor exists', async () => {
    const { runtime } = steeredRuntime();
    const client = await sdkOnFront(runtime);
    const other = LOCAL_ARNS.driver.replace(/sluice-driver$/, 'other');
    const executions = new StepFunctionsDriverExecutions({ client, stateMachineArn: other });
    await expect(executions.start('j-1', { jobId: 'j', generation: 1 })).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
      message: `State Machine Does Not Exist: '${other}'`,
    });
    expect(runtime.describe('j-1')).toBeNull();
  });
});

describe('LocalStepFunctions.abort', () => {
  it('stops a running execution once: a second call before its end is recorded is not a second abort', async () => {
    const { runtime } = steeredRuntime();
    expect(await runtime.start('hold-a-1', { jobId: 'hold-a', generation: 1 })).toBe('started');
    expect(runtime.abort('hold-a-1')).toBe(true);
    expect(runtime.abort('hold-a-1')).toBe(false);
    await runtime.settled();
    expect(runtime.describe('hold-a-1')?.status).toBe('ABORTED');
    expect(runtime.abort('hold-a-1')).toBe(false);
    expect(runtime.abort('no-such-execution')).toBe(false);
  });
});

/**
 * The driver's two state machines, in Amazon States Language (JSONPath: the local
 * interpreter runs no JSONata), written once and used three ways: CDK deploys them with
 * DefinitionSubstitutions for the `${...}` placeholders (infra/constructs/sluice-driver.ts),
 * the local runtime runs them with aws-local-stepfunctions and the same Lambda handlers
 * in-process (local/step-functions.ts), and a test validates them with asl-validator.
 * Plain objects only: no aws-cdk-lib here, so the engine's local runtime can import this.
 *
 *   Driver (Standard, supervised, one execution per generation `<jobId>-<generation>`):
 *     StartGeneration: become the current generation, take a new WAL epoch
 *     RunBatches: run the Express child (startExecution.sync:2), then wait in the parent
 *       when the child handed back a long wait; after `maxChildRuns` child runs, continue
 *       as a new execution `<jobId>-<generation+1>` long before the 25,000-event history fills
 *     EndGeneration: record stopped / failed / parked in the job registry (a parked
 *       generation ends; the supervisor's scheduled check wakes the job: engine/driver/parking.ts)
 *
 *   Batches (Express, at most a few minutes, at-least-once: every step is idempotent;
 *   batches-definition.ts):
 *     Plan ─► Execute (Map: one executor per partition) ─► [Route ─► ExecuteGroups (Map: one
 *     executor per slot of key groups), on a two-stage batch] ─► Finish (commit + decide) ─► Wait? ─► Plan
 *
 * The vocabulary both share (error names, placeholders, task states, timeouts, the Lambda
 * task and its Retry) is in asl.ts, and re-exported here.
 */
import {
  NON_RETRYABLE_ENGINE_ERRORS,
  PLACEHOLDERS,
  TASK_STATES,
  TASK_TIMEOUT_SECONDS,
  lambdaTask,
  ph,
  stepFunctionsServiceRetry,
  type AslDefinition,
  type AslState,
} from './asl.js';

export {
  BATCHES_TIMEOUT_SECONDS,
  FENCING_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  NON_RETRYABLE_ENGINE_ERRORS,
  PLACEHOLDERS,
  RETRYABLE_ENGINE_ERRORS,
  STEP_FUNCTIONS_SERVICE_ERRORS,
  TASK_STATES,
  TASK_TIMEOUT_SECONDS,
  lambdaRetry,
  substitute,
  type AslDefinition,
  type AslState,
  type Placeholder,
} from './asl.js';
export { batchesDefinition } from './batches-definition.js';

/** The Standard parent: the supervised driver of one job instance, one execution per generation. */
export function driverDefinition(): AslDefinition {
  const ids = { 'jobId.$': '$.jobId', 'generation.$': '$.generation' };
  const endGeneration = (parameters: Record<string, unknown>, next: string): AslState =>
    lambdaTask(PLACEHOLDERS.endGenerationFunction, { ...ids, ...parameters }, { ResultPath: '$.end', Next: next });
  const failure = (error: string, cause: string, retryable: boolean | string): AslState => ({
    Type: 'Pass',
    Parameters: {
      ...ids,
      failure: {
        'error.$': error,
        'cause.$': cause,
        ...(typeof retryable === 'string' ? { 'retryable.$': retryable } : { retryable }),
      },
    },
    Next: TASK_STATES.recordFailure,
  });
  return {
    Comment:
      'Sluice driver (Standard): supervised; runs the Express batches child in a loop and continues as a new execution per generation',
    StartAt: 'HasDelay',
    States: {
      HasDelay: {
        Type: 'Choice',
        Comment: 'A supervisor restart carries its backoff in delaySeconds',
        Choices: [{ Variable: '$.delaySeconds', IsPresent: true, Next: 'DelayPositive' }],
        Default: TASK_STATES.startGeneration,
      },
      DelayPositive: {
        Type: 'Choice',
        Choices: [{ Variable: '$.delaySeconds', NumericGreaterThan: 0, Next: 'RestartBackoff' }],
        Default: TASK_STATES.startGeneration,
      },
      RestartBackoff: { Type: 'Wait', SecondsPath: '$.delaySeconds', Next: TASK_STATES.startGeneration },
      [TASK_STATES.startGeneration]: lambdaTask(
        PLACEHOLDERS.startGenerationFunction,
        { ...ids },
        {
          Comment: 'Become the current generation and take a new epoch: every older driver is fenced from here on',
          ResultPath: '$.start',
          Catch: [
            { ErrorEquals: [...NON_RETRYABLE_ENGINE_ERRORS], ResultPath: '$.error', Next: 'StartFailedPermanently' },
            { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StartFailed' },
          ],
          Next: 'Started',
        },
      ),
      Started: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.start.action', StringEquals: 'run', Next: 'Init' },
          { Variable: '$.start.action', StringEquals: 'superseded', Next: 'Superseded' },
        ],
        Default: 'NotRunning',
      },
      Init: {
        Type: 'Pass',
        Parameters: { ...ids, 'driver.$': '$.start.driver', 'loop.$': '$.start.loop', 'maxChildRuns.$': '$.start.maxChildRuns', runs: 0 },
        Next: TASK_STATES.runBatches,
      },
      [TASK_STATES.runBatches]: {
        Type: 'Task',
        Comment: 'The Express child runs batches for a few minutes; its transitions stay out of this history and bill',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: { StateMachineArn: ph(PLACEHOLDERS.batchesStateMachine), Input: { 'driver.$': '$.driver', 'loop.$': '$.loop' } },
        ResultSelector: { 'output.$': '$.Output' },
        ResultPath: '$.child',
        TimeoutSeconds: TASK_TIMEOUT_SECONDS.child,
        Retry: [
          stepFunctionsServiceRetry(),
          // The child failed as a whole (timed out, aborted): run a fresh one; the batch in flight is resumed.
          {
            ErrorEquals: ['States.TaskFailed', 'States.Timeout'],
            IntervalSeconds: 2,
            MaxAttempts: 3,
            BackoffRate: 2,
            JitterStrategy: 'FULL',
          },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ChildFailed' }],
        Next: 'ChildEnded',
      },
      ChildEnded: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.child.output.outcome', StringEquals: 'handBack', Next: 'CountRun' },
          { Variable: '$.child.output.outcome', StringEquals: 'stop', Next: TASK_STATES.endStopped },
          { Variable: '$.child.output.outcome', StringEquals: 'park', Next: TASK_STATES.endParked },
          { Variable: '$.child.output.outcome', StringEquals: 'fenced', Next: 'Superseded' },
        ],
        Default: 'ChildReportedFailure',
      },
      CountRun: {
        Type: 'Pass',
        Parameters: {
          ...ids,
          'driver.$': '$.driver',
          'loop.$': '$.child.output.loop',
          'maxChildRuns.$': '$.maxChildRuns',
          'runs.$': 'States.MathAdd($.runs, 1)',
        },
        Next: 'ParentWaitNeeded',
      },
      ParentWaitNeeded: {
        Type: 'Choice',
        Choices: [{ Variable: '$.loop.waitMs', NumericGreaterThan: 0, Next: 'ParentWait' }],
        Default: 'MoreRuns',
      },
      ParentWait: {
        Type: 'Wait',
        Comment: 'A long idle wait: free here (one transition), billed by the second in an Express child',
        TimestampPath: '$.loop.waitUntil',
        Next: 'MoreRuns',
      },
      MoreRuns: {
        Type: 'Choice',
        Choices: [{ Variable: '$.runs', NumericLessThanPath: '$.maxChildRuns', Next: TASK_STATES.runBatches }],
        Default: 'NextGeneration',
      },
      NextGeneration: {
        Type: 'Pass',
        Parameters: { ...ids, 'next.$': 'States.MathAdd($.generation, 1)' },
        Next: TASK_STATES.continueAsNew,
      },
      [TASK_STATES.continueAsNew]: {
        Type: 'Task',
        Comment: 'Continue as a new execution <jobId>-<generation+1> (a deterministic name: a retried start finds it exists)',
        Resource: 'arn:aws:states:::states:startExecution',
        Parameters: {
          'StateMachineArn.$': '$$.StateMachine.Id',
          'Name.$': "States.Format('{}-{}', $.jobId, $.next)",
          Input: { 'jobId.$': '$.jobId', 'generation.$': '$.next' },
        },
        ResultPath: null,
        Retry: [stepFunctionsServiceRetry()],
        Catch: [{ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: null, Next: 'HandedOver' }],
        Next: 'HandedOver',
      },
      HandedOver: { Type: 'Succeed', Comment: 'The next generation drives the job' },
      [TASK_STATES.endStopped]: endGeneration({ outcome: 'stop', 'reason.$': '$.child.output.reason' }, 'Ended'),
      Ended: { Type: 'Succeed', OutputPath: '$.end' },
      [TASK_STATES.endParked]: endGeneration({ outcome: 'park', 'batchId.$': '$.child.output.loop.batch.batchId' }, 'Parked'),
      Parked: {
        Type: 'Succeed',
        Comment: 'Idle past the backoff: no execution runs until the supervisor finds data (or a stop ends the job at once)',
        OutputPath: '$.end',
      },
      ChildReportedFailure: failure('$.child.output.error', '$.child.output.cause', '$.child.output.retryable'),
      ChildFailed: failure('$.error.Error', '$.error.Cause', true),
      StartFailed: failure('$.error.Error', '$.error.Cause', true),
      StartFailedPermanently: failure('$.error.Error', '$.error.Cause', false),
      [TASK_STATES.recordFailure]: {
        ...endGeneration(
          { outcome: 'failed', 'error.$': '$.failure.error', 'cause.$': '$.failure.cause', 'retryable.$': '$.failure.retryable' },
          'DriverFailed',
        ),
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'DriverFailed' }],
      },
      DriverFailed: {
        Type: 'Fail',
        Comment: 'The supervisor restarts the driver unless the job is FAILED (a non-retryable error, or too many restarts)',
        ErrorPath: '$.failure.error',
        CausePath: '$.failure.cause',
      },
      Superseded: { Type: 'Succeed', Comment: 'A newer generation owns the job (its epoch fenced this one)' },
      NotRunning: { Type: 'Succeed', Comment: 'The job is stopped or failed: nothing to drive', OutputPath: '$.start' },
    },
  };
}

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
 *     EndGeneration: record stopped / failed in the job registry
 *
 *   Batches (Express, at most a few minutes, at-least-once: every step is idempotent):
 *     Plan ─► Execute (Map: one executor per partition) ─► Finish (commit + decide) ─► Wait? ─► Plan
 *
 * Error names come from engine/errors.ts (ErrorNames): the Retry and Catch clauses below
 * are what makes an engine error retried (retryable) or final (not retryable).
 */
import { ErrorNames } from '../../engine/errors.js';

export type AslDefinition = {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
};
export type AslState = Record<string, unknown>;

/** Lambda's own failures, retried with backoff (AWS's recommended set, plus throttling). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
] as const;

/** Engine errors a later attempt may clear (their `retryable` is true). */
export const RETRYABLE_ENGINE_ERRORS = [ErrorNames.TransientError, ErrorNames.RangeMismatchError] as const;

/**
 * Engine errors no retry or restart can fix: the job is left FAILED with the reason.
 * InvariantError (a bug or an impossible state) is here on purpose: a retry would run the
 * same code on the same state, and a restart loop would only hide the bug.
 */
export const NON_RETRYABLE_ENGINE_ERRORS = [
  ErrorNames.JobSpecError,
  ErrorNames.DataLossError,
  ErrorNames.StateCorruptionError,
  ErrorNames.InvalidArgumentError,
  ErrorNames.NotFoundError,
  ErrorNames.ConflictError,
  ErrorNames.ConfigurationError,
  ErrorNames.InvariantError,
  ErrorNames.SluiceError,
] as const;

/** A newer driver holds the job: this one ends quietly (it is superseded, not failed). */
export const FENCING_ERRORS = [ErrorNames.ConcurrentDriverError] as const;

/** Step Functions' own failures when a parent starts a child. */
export const STEP_FUNCTIONS_SERVICE_ERRORS = [
  'StepFunctions.AWSStepFunctionsException',
  'StepFunctions.SdkClientException',
  'StepFunctions.ExecutionLimitExceededException',
  'StepFunctions.ThrottlingException',
] as const;

/** The `${...}` placeholders, filled in by CDK's DefinitionSubstitutions (and by the local runtime). */
export const PLACEHOLDERS = {
  startGenerationFunction: 'StartGenerationFunctionArn',
  planFunction: 'PlanFunctionArn',
  executeFunction: 'ExecuteFunctionArn',
  finishFunction: 'FinishFunctionArn',
  endGenerationFunction: 'EndGenerationFunctionArn',
  batchesStateMachine: 'BatchesStateMachineArn',
} as const;
export type Placeholder = (typeof PLACEHOLDERS)[keyof typeof PLACEHOLDERS];

/** Task states by name: the local runtime maps each to its handler (handlers are keyed by state name). */
export const TASK_STATES = {
  startGeneration: 'StartGeneration',
  runBatches: 'RunBatches',
  endStopped: 'EndStopped',
  recordFailure: 'RecordFailure',
  continueAsNew: 'ContinueAsNew',
  plan: 'Plan',
  execute: 'ExecutePartition',
  finish: 'Finish',
} as const;

/** Express executions end at 5 minutes; the child's budget (DriverSettings.childBudgetMs) leaves room for its last batch. */
export const BATCHES_TIMEOUT_SECONDS = 300;
/** Task timeouts; each function's own timeout is shorter (infra/constructs/sluice-driver.ts). */
export const TASK_TIMEOUT_SECONDS = { control: 60, execute: 120, child: BATCHES_TIMEOUT_SECONDS + 60 } as const;

const ph = (name: Placeholder): string => `\${${name}}`;

/** Retries of every Lambda task: Lambda's failures and the engine's retryable errors, with jittered backoff. */
export function lambdaRetry(): AslState[] {
  return [
    {
      ErrorEquals: [...LAMBDA_SERVICE_ERRORS],
      IntervalSeconds: 2,
      MaxAttempts: 6,
      BackoffRate: 2,
      MaxDelaySeconds: 30,
      JitterStrategy: 'FULL',
    },
    {
      ErrorEquals: [...RETRYABLE_ENGINE_ERRORS],
      IntervalSeconds: 1,
      MaxAttempts: 5,
      BackoffRate: 2,
      MaxDelaySeconds: 20,
      JitterStrategy: 'FULL',
    },
  ];
}

function lambdaTask(resource: Placeholder, parameters: Record<string, unknown>, rest: AslState): AslState {
  return {
    Type: 'Task',
    Resource: ph(resource),
    Parameters: parameters,
    TimeoutSeconds: TASK_TIMEOUT_SECONDS.control,
    Retry: lambdaRetry(),
    ...rest,
  };
}

/** Where a child task's error goes: fenced, failed for good, or failed (the supervisor restarts the driver). */
function childCatch(): AslState[] {
  return [
    { ErrorEquals: [...FENCING_ERRORS], ResultPath: '$.error', Next: 'Fenced' },
    { ErrorEquals: [...NON_RETRYABLE_ENGINE_ERRORS], ResultPath: '$.error', Next: 'FailedPermanently' },
    { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' },
  ];
}

/** The Express child: micro-batches until its budget is spent, a long wait is due, or the job stops. */
export function batchesDefinition(): AslDefinition {
  const driver = { 'driver.$': '$.driver' };
  return {
    Comment: 'Sluice batches (Express): plan, one executor per partition, commit, wait; hands back to the driver after a few minutes',
    TimeoutSeconds: BATCHES_TIMEOUT_SECONDS,
    StartAt: TASK_STATES.plan,
    States: {
      [TASK_STATES.plan]: lambdaTask(
        PLACEHOLDERS.planFunction,
        { ...driver },
        {
          Comment: 'Resume the batch in flight, or plan the next one (fenced by epoch); stop instead when the job is stopping',
          ResultPath: '$.batch',
          Catch: childCatch(),
          Next: 'Planned',
        },
      ),
      Planned: {
        Type: 'Choice',
        Choices: [{ Variable: '$.batch.stop', BooleanEquals: true, Next: 'StopBeforeBatch' }],
        Default: 'Execute',
      },
      Execute: {
        Type: 'Map',
        Comment: 'One executor per partition; each returns a small summary, never records',
        ItemsPath: '$.batch.partitions',
        ItemSelector: { ...driver, 'batchId.$': '$.batch.batchId', 'partition.$': '$$.Map.Item.Value' },
        MaxConcurrency: 40,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: TASK_STATES.execute,
          States: {
            [TASK_STATES.execute]: {
              Type: 'Task',
              Resource: ph(PLACEHOLDERS.executeFunction),
              TimeoutSeconds: TASK_TIMEOUT_SECONDS.execute,
              Retry: lambdaRetry(),
              End: true,
            },
          },
        },
        ResultPath: '$.results',
        Catch: childCatch(),
        Next: TASK_STATES.finish,
      },
      [TASK_STATES.finish]: lambdaTask(
        PLACEHOLDERS.finishFunction,
        { ...driver, 'batch.$': '$.batch', 'results.$': '$.results', 'loop.$': '$.loop', 'childStartedAt.$': '$$.Execution.StartTime' },
        {
          Comment: 'Commit (fenced by epoch), retention, then decide: continue, hand back, or stop',
          ResultPath: '$.loop',
          Catch: childCatch(),
          Next: 'AfterCommit',
        },
      ),
      AfterCommit: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.loop.action', StringEquals: 'continue' },
              { Variable: '$.loop.waitMs', NumericGreaterThan: 0 },
            ],
            Next: 'WaitForTrigger',
          },
          { Variable: '$.loop.action', StringEquals: 'continue', Next: TASK_STATES.plan },
        ],
        Default: 'HandBack',
      },
      WaitForTrigger: { Type: 'Wait', TimestampPath: '$.loop.waitUntil', Next: TASK_STATES.plan },
      HandBack: {
        Type: 'Pass',
        Comment: 'Back to the driver: it waits (long waits are cheaper there) and starts a fresh child, or ends the job',
        Parameters: { 'outcome.$': '$.loop.action', 'reason.$': '$.loop.reason', 'loop.$': '$.loop' },
        End: true,
      },
      StopBeforeBatch: {
        Type: 'Pass',
        Parameters: { outcome: 'stop', 'reason.$': '$.batch.reason', 'loop.$': '$.loop' },
        End: true,
      },
      Fenced: {
        Type: 'Pass',
        Comment: 'A newer driver took the job (ConcurrentDriverError): end quietly',
        Parameters: { outcome: 'fenced', reason: 'superseded', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
        End: true,
      },
      FailedPermanently: {
        Type: 'Pass',
        Parameters: { outcome: 'failed', retryable: false, reason: null, 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
        End: true,
      },
      Failed: {
        Type: 'Pass',
        Parameters: { outcome: 'failed', retryable: true, reason: null, 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
        End: true,
      },
    },
  };
}

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
          {
            ErrorEquals: [...STEP_FUNCTIONS_SERVICE_ERRORS],
            IntervalSeconds: 2,
            MaxAttempts: 6,
            BackoffRate: 2,
            MaxDelaySeconds: 60,
            JitterStrategy: 'FULL',
          },
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
        Retry: [
          {
            ErrorEquals: [...STEP_FUNCTIONS_SERVICE_ERRORS],
            IntervalSeconds: 2,
            MaxAttempts: 6,
            BackoffRate: 2,
            MaxDelaySeconds: 60,
            JitterStrategy: 'FULL',
          },
        ],
        Catch: [{ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: null, Next: 'HandedOver' }],
        Next: 'HandedOver',
      },
      HandedOver: { Type: 'Succeed', Comment: 'The next generation drives the job' },
      [TASK_STATES.endStopped]: endGeneration({ outcome: 'stop', 'reason.$': '$.child.output.reason' }, 'Ended'),
      Ended: { Type: 'Succeed', OutputPath: '$.end' },
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

/** The definition with every `${Name}` placeholder replaced (what CDK's DefinitionSubstitutions do on deploy). */
export function substitute(definition: AslDefinition, values: Readonly<Record<Placeholder, string>>): AslDefinition {
  const json = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9]+)\}/g, (match, name: string) => {
    const value = (values as Record<string, string>)[name];
    if (value === undefined) throw new Error(`no value for placeholder ${match}`);
    return value;
  });
  return JSON.parse(json) as AslDefinition;
}

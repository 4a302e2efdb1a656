/**
 * The vocabulary of the driver's state machines (definitions.ts): the ASL types, the error
 * names their Retry and Catch clauses match, the `${...}` placeholders CDK fills in, the
 * task states' names (the local runtime maps each to its handler by name), the timeouts,
 * and the Lambda task and retry shapes every definition uses. Plain objects only: no
 * aws-cdk-lib here, so the engine's local runtime can import this.
 *
 * Error names come from engine/errors.ts (ErrorNames): the Retry and Catch clauses built
 * here are what makes an engine error retried (retryable) or final (not retryable).
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
  routeFunction: 'RouteFunctionArn',
  executeGroupsFunction: 'ExecuteGroupsFunctionArn',
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
  endParked: 'EndParked',
  recordFailure: 'RecordFailure',
  continueAsNew: 'ContinueAsNew',
  plan: 'Plan',
  execute: 'ExecutePartition',
  route: 'Route',
  executeGroups: 'ExecuteKeyGroups',
  finish: 'Finish',
} as const;

/** Express executions end at 5 minutes; the child's budget (DriverSettings.childBudgetMs) leaves room for its last batch. */
export const BATCHES_TIMEOUT_SECONDS = 300;
/** Task timeouts; each function's own timeout is shorter (infra/constructs/sluice-driver.ts). */
export const TASK_TIMEOUT_SECONDS = { control: 60, execute: 120, child: BATCHES_TIMEOUT_SECONDS + 60 } as const;

/** A placeholder as the definitions write it: `${Name}`. */
export const ph = (name: Placeholder): string => `\${${name}}`;

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

/** The retry of a parent's task that starts an execution: Step Functions' own failures, with jittered backoff. */
export function stepFunctionsServiceRetry(): AslState {
  return {
    ErrorEquals: [...STEP_FUNCTIONS_SERVICE_ERRORS],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    MaxDelaySeconds: 60,
    JitterStrategy: 'FULL',
  };
}

/** A Lambda task of the control kind: the given parameters, the control timeout, lambdaRetry(). */
export function lambdaTask(resource: Placeholder, parameters: Record<string, unknown>, rest: AslState): AslState {
  return {
    Type: 'Task',
    Resource: ph(resource),
    Parameters: parameters,
    TimeoutSeconds: TASK_TIMEOUT_SECONDS.control,
    Retry: lambdaRetry(),
    ...rest,
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

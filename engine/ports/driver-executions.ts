/**
 * Executions of the driver state machine (the Standard parent), named `<jobId>-<generation>`.
 * Deterministic names make a start idempotent: a second start of the same generation (the
 * supervisor's rule and its reconciler, or a retried continue-as-new) finds it exists.
 * On AWS: StartExecution / DescribeExecution; locally: the local Step Functions runtime.
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** The driver's input: everything else it reads from the job registry. */
export interface DriverExecutionInput {
  readonly jobId: string;
  readonly generation: number;
  /** Wait this long before starting (a supervisor restart's backoff). */
  readonly delaySeconds?: number;
}

export interface DriverExecutions {
  /**
   * Starts execution `name`; 'exists' when an execution of that name was started before
   * (running or not). One exception on AWS: Step Functions answers a start of a RUNNING
   * execution with the same input as a success, so that repeat says 'started'. Callers
   * only log the answer; either way exactly one execution of the name runs.
   */
  start(name: string, input: DriverExecutionInput): Promise<'started' | 'exists'>;
  /** The status of execution `name`, or null when there is none. */
  status(name: string): Promise<ExecutionStatus | null>;
}

/** The name of a job's driver execution of one generation (Step Functions allows 80 characters). */
export function driverExecutionName(jobId: string, generation: number): string {
  return `${jobId}-${generation}`;
}

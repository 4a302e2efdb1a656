/**
 * Step Functions on the local runtime: the driver's definitions (infra/state-machines/)
 * run by aws-local-stepfunctions, each Lambda task mapped (by state name) to the same
 * handler the function runs on AWS, called in-process. The integrations the driver uses
 * are local handlers too:
 *
 *   RunBatches     states:startExecution.sync:2 of the Express child: runs the batches
 *                  definition in-process and returns { Output } as the integration does
 *   ContinueAsNew  states:startExecution of the next generation: starts a new local
 *                  execution with that name (ExecutionAlreadyExists when it exists)
 *
 * Executions have names and statuses like on AWS (a name is used once), an execution that
 * ends FAILED, TIMED_OUT or ABORTED is reported to `onExecutionEnded` (the EventBridge
 * rule's stand-in), and every state transition, Express execution and Lambda invocation
 * is reported to an observer (the cost meter). Aborting a parent leaves its Express child
 * running, as a zombie: the next generation's epoch fences it.
 *
 * Idle waits end early on a stop. The driver's waits until a timestamp (the child's
 * WaitForTrigger, the parent's ParentWait: up to the idle backoff's cap, 60 s by default)
 * run here as a local task that sleeps until that time or until `interruptWaits(jobId)`
 * is called, whichever comes first; the local API calls it when a stop is requested, so
 * the next state (Plan) sees the stop at once instead of after the wait. Ending a wait
 * early is always safe: the next Plan or Finish reads the job's state and the trigger
 * again. On AWS they are Wait states: a stop takes effect when the wait ends (docs/driver.md).
 */
import './promise-with-resolvers.js';
import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';

type Overrides = NonNullable<RunOptions['overrides']>;
import type { DriverExecutionInput, DriverExecutions, ExecutionStatus } from '../engine/ports/driver-executions.js';
import type { AslDefinition } from '../infra/state-machines/definitions.js';
import { TASK_STATES } from '../infra/state-machines/definitions.js';
import { TASK_FUNCTIONS, type DriverFunction } from '../infra/state-machines/functions.js';

export type WorkflowType = 'STANDARD' | 'EXPRESS';
export type LocalLambda = (event: unknown) => Promise<unknown>;

/** What the local runtime reports: the cost meter counts it, the demo prints batch progress from it. */
export interface StepFunctionsObserver {
  onTransition?(type: WorkflowType, execution: string, state: string): void;
  /** An Express child ended; `ms` is its duration (billed in 100 ms steps at 64 MB). */
  onExpressExecution?(ms: number): void;
  onLambda?(fn: DriverFunction, ms: number, ok: boolean): void;
  onTaskResult?(state: string, input: unknown, output: unknown): void;
}

export interface ExecutionEndedEvent {
  readonly executionName: string;
  readonly status: ExecutionStatus;
  readonly error: string | null;
  readonly cause: string | null;
}

export interface LocalStepFunctionsOptions {
  /** The driver (Standard) and batches (Express) definitions, placeholders substituted. */
  readonly definitions: { readonly driver: AslDefinition; readonly batches: AslDefinition };
  readonly arns: { readonly driver: string; readonly batches: string };
  readonly lambdas: Readonly<Record<DriverFunction, LocalLambda>>;
  readonly observer?: StepFunctionsObserver;
  /** Replaces every Retry wait (tests); unset: the definitions' own backoff. */
  readonly retryDelayMs?: number;
  /** Called when a driver execution ends FAILED, TIMED_OUT or ABORTED. */
  readonly onExecutionEnded?: (event: ExecutionEndedEvent) => void;
  /** Runs every Express child twice at once (Express's at-least-once delivery); the first result wins. */
  readonly duplicateChildren?: boolean;
}

interface Execution {
  readonly name: string;
  status: ExecutionStatus;
  output: unknown;
  error: string | null;
  cause: string | null;
  abort: () => void;
  /** StopExecution was called: the execution is ending, and a second stop is not a second abort. */
  aborted: boolean;
  readonly done: Promise<void>;
}

export class LocalStepFunctions implements DriverExecutions {
  private readonly executions = new Map<string, Execution>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly driver: StateMachine;
  private readonly batches: StateMachine;
  private childCounter = 0;
  private closed = false;
  /** The idle waits in progress, per job: each one's wake-up. */
  private readonly waits = new Map<string, Set<() => void>>();
  /** The wait states made interruptible, with the path of the time each waits until. */
  private readonly waitStates = new Map<string, string>();

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.driver = new StateMachine(this.interruptible(options.definitions.driver) as unknown as StateMachineDefinition);
    this.batches = new StateMachine(this.interruptible(options.definitions.batches) as unknown as StateMachineDefinition);
  }

  /**
   * Ends the idle waits of the job's executions now (every job's without a job id): the
   * state after each one runs at once. Returns how many waits it ended.
   */
  interruptWaits(jobId?: string): number {
    let ended = 0;
    for (const [job, wakes] of this.waits) {
      if (jobId !== undefined && job !== jobId) continue;
      for (const wake of wakes) wake();
      ended += wakes.size;
    }
    return ended;
  }

  async start(name: string, input: DriverExecutionInput): Promise<'started' | 'exists'> {
    if (this.closed) throw new Error('the local Step Functions runtime is closed');
    if (this.executions.has(name)) return 'exists';
    const run = this.driver.run(input as never, {
      overrides: this.overrides(),
      context: {
        Execution: { Name: name, Id: `${this.options.arns.driver.replace(':stateMachine:', ':execution:')}:${name}` },
        StateMachine: { Id: this.options.arns.driver },
      },
    });
    this.observe('STANDARD', name, run.eventLogs);
    const execution: Execution = {
      name,
      status: 'RUNNING',
      output: null,
      error: null,
      cause: null,
      abort: run.abort,
      aborted: false,
      done: run.result.then(
        (output) => {
          execution.status = 'SUCCEEDED';
          execution.output = output;
        },
        (error: unknown) => {
          const failure = describe(error);
          execution.status = failure.status;
          execution.error = failure.error;
          execution.cause = failure.cause;
          this.options.onExecutionEnded?.({ executionName: name, status: failure.status, error: failure.error, cause: failure.cause });
        },
      ),
    };
    this.executions.set(name, execution);
    this.track(execution.done);
    return 'started';
  }

  async status(name: string): Promise<ExecutionStatus | null> {
    return this.executions.get(name)?.status ?? null;
  }

  /**
   * Stops a running driver execution (its Express child, if any, runs on). True only for
   * the call that stopped it: until its end is recorded the execution still reads as
   * RUNNING, and a second call must not count as a second abort.
   */
  abort(name: string): boolean {
    const execution = this.executions.get(name);
    if (execution?.status !== 'RUNNING' || execution.aborted) return false;
    execution.aborted = true;
    execution.abort();
    return true;
  }

  describe(name: string): { status: ExecutionStatus; output: unknown; error: string | null; cause: string | null } | null {
    const e = this.executions.get(name);
    return e === undefined ? null : { status: e.status, output: e.output, error: e.error, cause: e.cause };
  }

  running(): string[] {
    return [...this.executions.values()].filter((e) => e.status === 'RUNNING').map((e) => e.name);
  }

  /** Resolves once nothing runs: no driver execution, no child, no task. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Aborts every running execution and waits for everything in flight to end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const name of this.running()) this.abort(name);
    // Children waiting for their next batch go on to their next task, which a halted runtime ends.
    this.interruptWaits();
    await this.settled();
  }

  private overrides() {
    type Handler = (input: unknown) => Promise<unknown>;
    const handlers: Record<string, Handler> = {};
    for (const [state, fn] of Object.entries(TASK_FUNCTIONS)) {
      handlers[state] = (input) => this.invoke(state, fn, input);
    }
    for (const [state, path] of this.waitStates) handlers[state] = (input) => this.idleWait(input, path);
    handlers[TASK_STATES.runBatches] = (input) => this.runChild(input);
    handlers[TASK_STATES.continueAsNew] = (input) => this.continueAsNew(input);
    const retryIntervalOverrides: Record<string, number> = {};
    if (this.options.retryDelayMs !== undefined) {
      for (const state of Object.values(TASK_STATES)) retryIntervalOverrides[state] = this.options.retryDelayMs;
    }
    return { taskResourceLocalHandlers: handlers as unknown as Overrides['taskResourceLocalHandlers'], retryIntervalOverrides };
  }

  /**
   * The definition with every Wait until a timestamp (TimestampPath) replaced by a local
   * task of the same name that waits the same way but can be interrupted (see the header).
   */
  private interruptible(definition: AslDefinition): AslDefinition {
    const states: Record<string, unknown> = {};
    for (const [name, state] of Object.entries(definition.States)) {
      const wait = state as { Type?: string; TimestampPath?: string; Next?: string; End?: boolean; Comment?: string };
      if (wait.Type !== 'Wait' || typeof wait.TimestampPath !== 'string') {
        states[name] = state;
        continue;
      }
      this.waitStates.set(name, wait.TimestampPath);
      states[name] = {
        Type: 'Task',
        Comment: `${wait.Comment ?? 'Wait'} (locally: ends early when the job is asked to stop)`,
        Resource: LOCAL_WAIT_RESOURCE,
        ResultPath: null,
        ...(wait.Next === undefined ? { End: true } : { Next: wait.Next }),
      };
    }
    return { ...definition, States: states as AslDefinition['States'] };
  }

  /** A Wait until the time at `path` of the input, ended early by interruptWaits. Its output is its input. */
  private async idleWait(input: unknown, path: string): Promise<unknown> {
    const until = Date.parse(String(valueAt(input, path)));
    const ms = Number.isFinite(until) ? until - Date.now() : 0;
    if (ms <= 0 || this.closed) return input;
    const jobId = jobIdOf(input);
    const wakes = this.waits.get(jobId) ?? new Set<() => void>();
    this.waits.set(jobId, wakes);
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakes.delete(wake);
        if (wakes.size === 0 && this.waits.get(jobId) === wakes) this.waits.delete(jobId);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakes.add(wake);
    });
    return input;
  }

  private async invoke(state: string, fn: DriverFunction, input: unknown): Promise<unknown> {
    const started = performance.now();
    let ok = false;
    try {
      const output = await this.options.lambdas[fn](input);
      ok = true;
      this.options.observer?.onTaskResult?.(state, input, output);
      return output;
    } finally {
      this.options.observer?.onLambda?.(fn, performance.now() - started, ok);
    }
  }

  /** states:startExecution.sync:2 of the Express child. */
  private async runChild(input: unknown): Promise<unknown> {
    const childInput = (input as { Input?: unknown }).Input;
    const once = () => this.track(this.runBatches(childInput));
    const output = this.options.duplicateChildren ? await Promise.any([once(), once()]) : await once();
    return { Output: output, Status: 'SUCCEEDED' };
  }

  private async runBatches(input: unknown): Promise<unknown> {
    this.childCounter += 1;
    const name = `batches-${this.childCounter}-${randomUUID().slice(0, 8)}`;
    const run = this.batches.run(input as never, {
      overrides: this.overrides(),
      context: {
        Execution: { Name: name, Id: `${this.options.arns.batches.replace(':stateMachine:', ':execution:')}:${name}` },
        StateMachine: { Id: this.options.arns.batches },
      },
    });
    this.observe('EXPRESS', name, run.eventLogs);
    const started = performance.now();
    try {
      return await run.result;
    } catch (error) {
      const failure = describe(error);
      // What the .sync integration reports when the child execution fails.
      throw named('States.TaskFailed', `child ${name} ${failure.status}: ${failure.error ?? ''} ${failure.cause ?? ''}`.trim());
    } finally {
      this.options.observer?.onExpressExecution?.(performance.now() - started);
    }
  }

  /** states:startExecution of the next generation (continue-as-new). */
  private async continueAsNew(input: unknown): Promise<unknown> {
    const { Name, Input } = input as { Name: string; Input: DriverExecutionInput };
    if ((await this.start(Name, Input)) === 'exists') {
      throw named('StepFunctions.ExecutionAlreadyExistsException', `execution ${Name} already exists`);
    }
    return {
      ExecutionArn: `${this.options.arns.driver.replace(':stateMachine:', ':execution:')}:${Name}`,
      StartDate: new Date().toISOString(),
    };
  }

  private observe(type: WorkflowType, execution: string, events: AsyncGenerator<{ type: string; state?: { name: string } }>): void {
    const observer = this.options.observer;
    this.track(
      (async () => {
        for await (const event of events) {
          // A state transition is billed when a state is entered, and for every retry.
          if ((event.type === 'StateEntered' || event.type === 'StateRetried') && event.state !== undefined) {
            observer?.onTransition?.(type, execution, event.state.name);
          }
        }
      })(),
    );
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const remove = () => this.inFlight.delete(promise);
    promise.then(remove, remove);
    return promise;
  }
}

/** The resource of the local wait task: never called, its state name has a local handler. */
const LOCAL_WAIT_RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:sluice-local-wait';

/** The value at a JSONPath of the form `$.a.b` (what the definitions' TimestampPaths are). */
function valueAt(input: unknown, path: string): unknown {
  let value: unknown = input;
  for (const key of path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter((k) => k !== '')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/** The job of a state's input: the child's `driver.jobId`, or the parent's `jobId`. */
function jobIdOf(input: unknown): string {
  const jobId = valueAt(input, '$.driver.jobId') ?? valueAt(input, '$.jobId');
  return typeof jobId === 'string' ? jobId : '';
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function describe(error: unknown): { status: ExecutionStatus; error: string | null; cause: string | null } {
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED', error: null, cause: null };
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout', cause: null };
  const inner = (error as { cause?: unknown }).cause;
  const source = inner instanceof Error ? inner : error instanceof Error ? error : null;
  return { status: 'FAILED', error: source?.name ?? 'Error', cause: source?.message ?? String(error) };
}

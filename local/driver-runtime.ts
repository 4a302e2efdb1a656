/**
 * The Step Functions driver on the local runtime: the definitions of infra/state-machines/
 * run by LocalStepFunctions, every task calling the Lambda handler of functions/ in-process
 * (built on the given ports instead of the environment), and the supervisor wired as on
 * AWS: a driver execution that ends FAILED, TIMED_OUT or ABORTED is sent to the supervisor
 * function as EventBridge would send it, and a timer stands in for its schedule.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'aws-lambda';
import { createEndGenerationHandler } from '../functions/end-generation.js';
import type { FunctionDependencies } from '../functions/environment.js';
import { createExecuteTaskHandler } from '../functions/execute.js';
import { createExecuteGroupsTaskHandler } from '../functions/execute-groups.js';
import { createFinishTaskHandler } from '../functions/finish.js';
import { createPlanTaskHandler } from '../functions/plan.js';
import { createRouteTaskHandler } from '../functions/route.js';
import { createStartGenerationHandler } from '../functions/start-generation.js';
import { createSupervisorHandler } from '../functions/supervisor.js';
import { PLACEHOLDERS, batchesDefinition, driverDefinition, substitute, type Placeholder } from '../infra/state-machines/definitions.js';
import { DRIVER_FUNCTIONS, type DriverFunction } from '../infra/state-machines/functions.js';
import type { JobCatalog } from '../engine/driver/catalog.js';
import { getJob, requestStop, type StartJobRequest } from '../engine/driver/job-control.js';
import {
  DEFAULT_DRIVER_SETTINGS,
  DEFAULT_RESTART_POLICY,
  checkDriverSettings,
  checkRestartPolicy,
  type DriverSettings,
  type RestartPolicy,
} from '../engine/driver/settings.js';
import { launchJob, resumeJob, type SupervisorContext, type SuperviseOutcome } from '../engine/driver/supervisor.js';
import type { DriverTaskContext } from '../engine/driver/tasks.js';
import { StateCache } from '../engine/executor/state-cache.js';
import { TransientError } from '../engine/errors.js';
import { retry } from '../engine/retry.js';
import type { EnginePorts } from '../engine/ports/index.js';
import { JobState, type JobInstance, type JobRegistry } from '../engine/ports/job-registry.js';
import { LocalStepFunctions, type LocalLambda, type StepFunctionsObserver } from './step-functions.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/** Local ARNs of the functions and state machines (what CDK's DefinitionSubstitutions fill in on AWS). */
export const LOCAL_ARNS = {
  driver: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:sluice-driver`,
  batches: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:sluice-batches`,
  function: (fn: DriverFunction) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:sluice-${fn}`,
} as const;

export interface LocalDriverOptions {
  readonly ports: EnginePorts;
  readonly registry: JobRegistry;
  readonly catalog: JobCatalog;
  readonly settings?: Partial<DriverSettings>;
  readonly restartPolicy?: Partial<RestartPolicy>;
  readonly observer?: StepFunctionsObserver;
  /** Replaces every Retry wait of the definitions (tests). */
  readonly retryDelayMs?: number;
  /** Send failed/timed-out/aborted driver executions to the supervisor (the EventBridge rule). Default true. */
  readonly supervise?: boolean;
  /** Run the supervisor's reconciler this often (its schedule); null: never on its own. Default null. */
  readonly reconcileEveryMs?: number | null;
  /** Wraps each function's handler (chaos: failures, duplicate invocations). */
  readonly wrapLambda?: (fn: DriverFunction, lambda: LocalLambda) => LocalLambda;
  /** Run every Express child twice at once (at-least-once delivery). */
  readonly duplicateChildren?: boolean;
}

export class LocalDriver {
  readonly stepFunctions: LocalStepFunctions;
  readonly supervisor: SupervisorContext;
  readonly settings: DriverSettings;
  private readonly supervisorLambda: LocalLambda;
  private readonly supervising = new Set<Promise<unknown>>();
  private readonly timer: NodeJS.Timeout | undefined;
  readonly supervisorOutcomes: SuperviseOutcome[] = [];

  constructor(private readonly options: LocalDriverOptions) {
    this.settings = checkDriverSettings({ ...DEFAULT_DRIVER_SETTINGS, ...options.settings });
    const task: DriverTaskContext = {
      ports: options.ports,
      registry: options.registry,
      catalog: options.catalog,
      settings: this.settings,
      cache: new StateCache(),
    };
    const deps: FunctionDependencies = { task: () => task, supervisor: () => this.supervisor };
    const lambda = (fn: DriverFunction, handler: (event: unknown, context: Context) => Promise<unknown>): LocalLambda => {
      const context = lambdaContext(fn);
      const call: LocalLambda = (event) => handler(event, context);
      return options.wrapLambda ? options.wrapLambda(fn, call) : call;
    };
    const lambdas: Record<DriverFunction, LocalLambda> = {
      startGeneration: lambda('startGeneration', createStartGenerationHandler(deps)),
      plan: lambda('plan', createPlanTaskHandler(deps)),
      execute: lambda('execute', createExecuteTaskHandler(deps)),
      route: lambda('route', createRouteTaskHandler(deps)),
      executeGroups: lambda('executeGroups', createExecuteGroupsTaskHandler(deps)),
      finish: lambda('finish', createFinishTaskHandler(deps)),
      endGeneration: lambda('endGeneration', createEndGenerationHandler(deps)),
      supervisor: lambda('supervisor', createSupervisorHandler(deps)),
    };
    this.supervisorLambda = lambdas.supervisor;
    const values = Object.fromEntries(
      Object.entries(DRIVER_FUNCTIONS).flatMap(([fn, spec]) =>
        'placeholder' in spec ? [[spec.placeholder, LOCAL_ARNS.function(fn as DriverFunction)]] : [],
      ),
    ) as Record<Placeholder, string>;
    values[PLACEHOLDERS.batchesStateMachine] = LOCAL_ARNS.batches;
    this.stepFunctions = new LocalStepFunctions({
      definitions: { driver: substitute(driverDefinition(), values), batches: substitute(batchesDefinition(), values) },
      arns: { driver: LOCAL_ARNS.driver, batches: LOCAL_ARNS.batches },
      lambdas,
      ...(options.observer ? { observer: options.observer } : {}),
      ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
      ...(options.duplicateChildren ? { duplicateChildren: true } : {}),
      onExecutionEnded: (event) => {
        if (options.supervise === false) return;
        this.invokeSupervisor({
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          detail: { name: event.executionName, status: event.status, error: event.error, cause: event.cause },
        });
      },
    });
    this.supervisor = {
      registry: options.registry,
      executions: this.stepFunctions,
      clock: options.ports.clock,
      logger: options.ports.logger,
      policy: checkRestartPolicy({ ...DEFAULT_RESTART_POLICY, ...options.restartPolicy }),
      work: { ports: options.ports, catalog: options.catalog },
    };
    const every = options.reconcileEveryMs ?? null;
    if (every !== null) {
      this.timer = setInterval(() => this.invokeSupervisor({ 'detail-type': 'Scheduled Event', source: 'aws.events' }), every);
      this.timer.unref();
    }
  }

  /** Starts a job instance (or starts it again) and its first driver generation. */
  launch(request: StartJobRequest) {
    return launchJob(request, this.supervisor);
  }

  /**
   * Runs the job instance: resumes it when it should be running (this runtime was killed
   * while it ran: its next generation starts and recovers from the WAL), starts it afresh
   * otherwise.
   */
  async run(request: StartJobRequest): Promise<{ executionName: string; resumed: boolean }> {
    const resumed = await resumeJob(request.jobId, this.supervisor);
    if (resumed !== null) return { executionName: resumed.executionName, resumed: true };
    const launched = await this.launch(request);
    return { executionName: launched.executionName, resumed: false };
  }

  /** Records the stop, then ends the job's idle wait so that its driver sees it now (local/step-functions.ts). */
  async requestStop(jobId: string): Promise<JobInstance> {
    const job = await requestStop(jobId, this.supervisor);
    this.stepFunctions.interruptWaits(jobId);
    return job;
  }

  /** One reconciler tick, as the supervisor's schedule runs it. */
  async reconcile(): Promise<void> {
    await this.invokeSupervisor({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
  }

  /**
   * Resolves when the job is STOPPED or FAILED and none of its driver executions runs;
   * rejects after `timeoutMs`.
   */
  /**
   * Polls until the job has ended (every 25 ms). `watcher`: the registry to poll through,
   * when the driver's own is counted (bench/cost-bench.ts must not bill the polls).
   */
  async waitForJob(jobId: string, timeoutMs = 300_000, watcher?: JobRegistry): Promise<JobInstance> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await getJob(jobId, watcher === undefined ? this.supervisor : { registry: watcher });
      const live = this.stepFunctions.running().filter((name) => name.startsWith(`${jobId}-`));
      if ((job.state === JobState.STOPPED || job.state === JobState.FAILED) && live.length === 0 && this.supervising.size === 0) return job;
      if (Date.now() > deadline) {
        throw new TransientError(`job ${jobId} did not end within ${timeoutMs} ms: ${job.state}, running: ${live.join(', ') || 'none'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Stops the schedule, aborts every execution, and waits for every task in flight (zombies included). */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await Promise.allSettled([...this.supervising]);
    await this.stepFunctions.close();
  }

  /**
   * Invokes the supervisor function; a failed invocation is retried, as an EventBridge
   * target is (whatever the error, but an InvariantError: retry() never repeats a bug).
   */
  private invokeSupervisor(event: unknown): Promise<void> {
    const invoke = async (attempt: number): Promise<void> => {
      try {
        this.supervisorOutcomes.push(...((await this.supervisorLambda(event)) as SuperviseOutcome[]));
      } catch (error) {
        this.options.ports.logger.error('supervisor failed', { error: String(error), attempt });
        throw error;
      }
    };
    const run = retry(invoke, { attempts: 4, baseDelayMs: 100, clock: { sleep }, shouldRetry: () => true }).catch(() => {});
    this.supervising.add(run);
    void run.finally(() => this.supervising.delete(run));
    return run;
  }
}

function lambdaContext(fn: DriverFunction): Context {
  const spec = DRIVER_FUNCTIONS[fn];
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `sluice-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: LOCAL_ARNS.function(fn),
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: 'local',
    logGroupName: `/aws/lambda/sluice-${fn}`,
    logStreamName: 'local',
  } as Context;
}

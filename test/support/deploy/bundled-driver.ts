/**
 * The template's own state machines on the local Step Functions runtime
 * (local/step-functions.ts), every Lambda task calling the bundled function its definition
 * names by ARN (after DefinitionSubstitutions), and the template's EventBridge rule on
 * driver executions wired to the function it targets, as on AWS. A task whose ARN names no
 * function of the template, a task state the local runtime would not call, a child state
 * machine ARN that is not the template's Express machine: each throws when this is built.
 *
 * The state machines' own calls (lambda:InvokeFunction per task, states:StartExecution of
 * the child and of the next generation) are recorded under their logical ids, for the IAM
 * check of their roles.
 */
import { TASK_STATES } from '../../../infra/state-machines/asl.js';
import { DRIVER_FUNCTIONS, TASK_FUNCTIONS, type DriverFunction } from '../../../infra/state-machines/functions.js';
import type { AslDefinition } from '../../../infra/state-machines/definitions.js';
import { LocalStepFunctions, type LocalLambda } from '../../../local/step-functions.js';
import type { BundledFunction } from './bundled-function.js';
import { resourcesOfType, type Json, type LocalResolver, type TemplateStateMachine } from './cloud-assembly.js';
import type { RecordedCall } from './recording-proxy.js';

export interface BundledDriver {
  readonly stepFunctions: LocalStepFunctions;
  readonly driver: TemplateStateMachine;
  readonly batches: TemplateStateMachine;
  /** Supervisor invocations in flight or failed (a failed one is the test's failure). */
  readonly supervisorErrors: Error[];
  settled(): Promise<void>;
  /** Invokes the function the template's schedule rule targets, with a scheduled event (the reconciler's tick). */
  reconcile(): Promise<unknown>;
  /** From now on every task fails without calling its function, and the rule invokes nothing; then waits for what runs. */
  halt(): Promise<void>;
}

export function startBundledDriver(options: {
  readonly template: Json;
  readonly resolver: LocalResolver;
  readonly machines: readonly TemplateStateMachine[];
  readonly functions: ReadonlyMap<string, BundledFunction>;
  readonly record: (call: RecordedCall) => void;
  readonly retryDelayMs?: number;
}): BundledDriver {
  const driver = only(
    options.machines.filter((m) => m.type === 'STANDARD'),
    'Standard state machine',
  );
  const batches = only(
    options.machines.filter((m) => m.type === 'EXPRESS'),
    'Express state machine',
  );
  const byArn = new Map([...options.functions.values()].map((f) => [f.spec.arn, f]));
  const owner = new Map<string, TemplateStateMachine>();
  const taskResources = new Map<string, string>();
  for (const machine of [driver, batches]) {
    for (const [state, body] of taskStates(machine.definition.States as Json)) {
      owner.set(state, machine);
      const resource = String(body.Resource);
      if (resource.startsWith('arn:aws:lambda:')) {
        if (TASK_FUNCTIONS[state] === undefined)
          throw new Error(`${machine.logicalId} state ${state} calls ${resource}, a task the local runtime does not run`);
        if (!byArn.has(resource))
          throw new Error(`${machine.logicalId} state ${state} calls ${resource}, which is no function of the template`);
        taskResources.set(state, resource);
      }
      if (resource.startsWith('arn:aws:states:::states:startExecution.sync') && body.Parameters?.StateMachineArn !== batches.arn) {
        throw new Error(
          `${machine.logicalId} state ${state} starts ${String(body.Parameters?.StateMachineArn)}, not the Express machine ${batches.arn}`,
        );
      }
    }
  }
  const lambdas = {} as Record<DriverFunction, LocalLambda>;
  for (const fn of Object.keys(DRIVER_FUNCTIONS) as DriverFunction[]) {
    const states = Object.entries(TASK_FUNCTIONS)
      .filter(([, f]) => f === fn)
      .map(([s]) => s);
    if (states.length === 0) continue;
    const arns = new Set(states.map((s) => taskResources.get(s)));
    if (arns.size !== 1 || arns.has(undefined))
      throw new Error(`the task states of ${fn} (${states.join(', ')}) call ${[...arns].join(', ')}`);
    const target = byArn.get([...arns][0]!)!;
    lambdas[fn] = (event) => (halted ? Promise.reject(haltedError()) : target.invoke(event));
  }
  // The supervisor is no task: the local runtime's table wants a function, which only the rule below calls.
  lambdas.supervisor = () => Promise.reject(new Error('the supervisor is invoked by the EventBridge rule'));

  let halted = false;
  const supervisorErrors: Error[] = [];
  const supervising = new Set<Promise<unknown>>();
  const rule = restartRule(options.template, options.resolver, driver.arn);
  const supervisor = byArn.get(rule.target);
  if (supervisor === undefined) throw new Error(`the restart rule targets ${rule.target}, which is no function of the template`);

  const stepFunctions: LocalStepFunctions = new LocalStepFunctions({
    definitions: { driver: driver.definition as AslDefinition, batches: batches.definition as AslDefinition },
    arns: { driver: driver.arn, batches: batches.arn },
    lambdas,
    ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
    observer: {
      onTransition(_type, _execution, state) {
        // RunBatches starts the Express child; ContinueAsNew the driver's next generation.
        const started = state === TASK_STATES.runBatches ? batches.arn : state === TASK_STATES.continueAsNew ? driver.arn : null;
        if (started === null) return;
        const input = { stateMachineArn: started };
        options.record({ caller: driver.logicalId, service: 'states', operation: 'StartExecution', input, status: 200, ms: 0 });
      },
      onLambda(fn) {
        // The states that call one function all call the same ARN (checked above): any of them names the caller.
        const state = Object.keys(TASK_FUNCTIONS).find((s) => TASK_FUNCTIONS[s] === fn);
        if (state !== undefined) recordInvoke(state);
      },
    },
    onExecutionEnded(event) {
      if (halted || !rule.statuses.includes(event.status)) return;
      const run = supervisor
        .invoke({
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          detail: { name: event.executionName, status: event.status, error: event.error, cause: event.cause, stateMachineArn: driver.arn },
        })
        .catch((error: Error) => supervisorErrors.push(error));
      supervising.add(run);
      void run.finally(() => supervising.delete(run));
    },
  });

  function recordInvoke(state: string): void {
    const machine = owner.get(state);
    const arn = taskResources.get(state);
    if (machine === undefined || arn === undefined) return;
    options.record({ caller: machine.logicalId, service: 'lambda', operation: 'Invoke', input: { FunctionName: arn }, status: 200, ms: 0 });
  }

  return {
    stepFunctions,
    driver,
    batches,
    supervisorErrors,
    async settled() {
      await Promise.allSettled([...supervising]);
    },
    reconcile() {
      const target = byArn.get(scheduleTarget(options.template, options.resolver));
      if (target === undefined) throw new Error('the schedule rule targets no function of the template');
      return target.invoke({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    },
    async halt() {
      halted = true;
      await stepFunctions.close();
      await Promise.allSettled([...supervising]);
    },
  };
}

function haltedError(): Error {
  return Object.assign(new Error('the local deployment is shutting down'), { name: 'LocalRuntimeHalted' });
}

/** Every Task state of a definition, Map iterators included. */
function taskStates(states: Json): [string, Json][] {
  return Object.entries(states).flatMap(([name, state]: [string, Json]) => {
    const inner = state.ItemProcessor?.States ?? state.Iterator?.States;
    return [...(state.Type === 'Task' ? [[name, state] as [string, Json]] : []), ...(inner ? taskStates(inner) : [])];
  });
}

/** The EventBridge rule on the driver's execution status changes: its statuses and its target. */
function restartRule(template: Json, resolver: LocalResolver, driverArn: string): { statuses: string[]; target: string } {
  const rules = resourcesOfType(template, 'AWS::Events::Rule')
    .map(([, r]) => resolver.resolve(r.Properties) as Json)
    .filter((p) => p.EventPattern?.source?.includes('aws.states') && p.EventPattern?.detail?.stateMachineArn?.includes(driverArn));
  const rule = only(rules, `EventBridge rule on ${driverArn}`);
  return { statuses: rule.EventPattern.detail.status as string[], target: only(rule.Targets as Json[], 'rule target').Arn as string };
}

/** The function the scheduled EventBridge rule (the reconciler) targets. */
function scheduleTarget(template: Json, resolver: LocalResolver): string {
  const rules = resourcesOfType(template, 'AWS::Events::Rule')
    .map(([, r]) => resolver.resolve(r.Properties) as Json)
    .filter((p) => typeof p.ScheduleExpression === 'string');
  return only(only(rules, 'scheduled EventBridge rule').Targets as Json[], 'schedule target').Arn as string;
}

function only<T>(items: readonly T[], what: string): T {
  if (items.length !== 1) throw new Error(`the template has ${items.length} of the ${what}, not one`);
  return items[0]!;
}

/**
 * The driver's Lambda functions: entry, memory and timeout, shared by the CDK construct
 * (infra/constructs/sluice-driver.ts) and the local runtime's cost meter (GB-seconds at
 * the configured memory). Plain data: no aws-cdk-lib here.
 */
import { PLACEHOLDERS, TASK_STATES, type Placeholder } from './asl.js';

export interface FunctionSpec {
  /** Handler module, from the repository root (its export is `handler`). */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly description: string;
  /** The definitions' placeholder that names it (none for the supervisor). */
  readonly placeholder?: Placeholder;
}

export const DRIVER_FUNCTIONS = {
  startGeneration: {
    entry: 'functions/start-generation.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    description: 'Sluice driver: start a generation (registry, new epoch)',
    placeholder: PLACEHOLDERS.startGenerationFunction,
  },
  plan: {
    entry: 'functions/plan.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    description: 'Sluice driver: plan or resume a batch (write-ahead log)',
    placeholder: PLACEHOLDERS.planFunction,
  },
  execute: {
    entry: 'functions/execute.ts',
    memoryMb: 1024,
    timeoutSeconds: 90,
    description: 'Sluice executor: one partition of one batch (stage 1 of a two-stage batch)',
    placeholder: PLACEHOLDERS.executeFunction,
  },
  route: {
    entry: 'functions/route.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    description: 'Sluice driver: route a two-stage batch (its active key groups, in slots)',
    placeholder: PLACEHOLDERS.routeFunction,
  },
  executeGroups: {
    entry: 'functions/execute-groups.ts',
    // As the executor: a key group's whole state lives in the memory of the call that runs it.
    memoryMb: 1024,
    timeoutSeconds: 90,
    description: 'Sluice executor: stage 2 of a two-stage batch, one slot of key groups',
    placeholder: PLACEHOLDERS.executeGroupsFunction,
  },
  finish: {
    entry: 'functions/finish.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    description: 'Sluice driver: commit a batch, retention, decide what comes next',
    placeholder: PLACEHOLDERS.finishFunction,
  },
  endGeneration: {
    entry: 'functions/end-generation.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    description: 'Sluice driver: record how a generation ended',
    placeholder: PLACEHOLDERS.endGenerationFunction,
  },
  supervisor: {
    entry: 'functions/supervisor.ts',
    memoryMb: 256,
    timeoutSeconds: 60,
    description: 'Sluice supervisor: restart dead drivers, reconcile',
  },
} as const satisfies Record<string, FunctionSpec>;

export type DriverFunction = keyof typeof DRIVER_FUNCTIONS;

/** Which function each Lambda task state calls. */
export const TASK_FUNCTIONS: Readonly<Record<string, DriverFunction>> = {
  [TASK_STATES.startGeneration]: 'startGeneration',
  [TASK_STATES.plan]: 'plan',
  [TASK_STATES.execute]: 'execute',
  [TASK_STATES.route]: 'route',
  [TASK_STATES.executeGroups]: 'executeGroups',
  [TASK_STATES.finish]: 'finish',
  [TASK_STATES.endStopped]: 'endGeneration',
  [TASK_STATES.endParked]: 'endGeneration',
  [TASK_STATES.recordFailure]: 'endGeneration',
};

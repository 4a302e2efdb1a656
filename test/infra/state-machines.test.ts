import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as errors from '../../engine/errors.js';
import { ErrorNames } from '../../engine/errors.js';
import {
  FENCING_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  NON_RETRYABLE_ENGINE_ERRORS,
  PLACEHOLDERS,
  RETRYABLE_ENGINE_ERRORS,
  TASK_STATES,
  batchesDefinition,
  driverDefinition,
  substitute,
  type AslDefinition,
  type AslState,
} from '../../infra/state-machines/definitions.js';
import { MAX_STAGE_TWO_SLOTS } from '../../engine/protocol/key-groups.js';
import { DRIVER_FUNCTIONS, TASK_FUNCTIONS } from '../../infra/state-machines/functions.js';

const validate = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText(separator?: string): string;
};

const ARNS = Object.fromEntries(
  Object.values(PLACEHOLDERS).map((p) => [
    p,
    p.endsWith('StateMachineArn')
      ? `arn:aws:states:us-east-1:123456789012:stateMachine:${p}`
      : `arn:aws:lambda:us-east-1:123456789012:function:${p}`,
  ]),
) as Record<(typeof PLACEHOLDERS)[keyof typeof PLACEHOLDERS], string>;

/** Every state of a definition, Map iterators included, by name. */
function allStates(definition: { States: Record<string, AslState> }): Map<string, AslState> {
  const out = new Map<string, AslState>();
  for (const [name, state] of Object.entries(definition.States)) {
    out.set(name, state);
    const inner = state.ItemProcessor as { States: Record<string, AslState> } | undefined;
    if (inner) for (const [n, s] of allStates(inner)) out.set(n, s);
  }
  return out;
}

const definitions: [string, () => AslDefinition][] = [
  ['driver (Standard)', driverDefinition],
  ['batches (Express)', batchesDefinition],
];

describe('the driver state machines', () => {
  it.each(definitions)('%s is valid ASL, with placeholders and with them substituted', (_name, make) => {
    const raw = validate(make());
    expect(raw.isValid, raw.errorsText('\n')).toBe(true);
    const substituted = validate(substitute(make(), ARNS));
    expect(substituted.isValid, substituted.errorsText('\n')).toBe(true);
  });

  it.each(definitions)('%s names only known placeholders, and substitution leaves none', (_name, make) => {
    const json = JSON.stringify(make());
    const used = new Set([...json.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]));
    for (const name of used) expect(Object.values(PLACEHOLDERS)).toContain(name);
    expect(JSON.stringify(substitute(make(), ARNS))).not.toMatch(/\$\{/);
  });

  it('classifies every engine error name exactly once, as its class says', () => {
    const classified = [...RETRYABLE_ENGINE_ERRORS, ...NON_RETRYABLE_ENGINE_ERRORS, ...FENCING_ERRORS];
    expect([...classified].sort()).toEqual(Object.values(ErrorNames).sort());
    for (const name of Object.values(ErrorNames)) {
      const ErrorClass = (errors as unknown as Record<string, new (message: string) => errors.SluiceError>)[name]!;
      const instance = new ErrorClass('x');
      expect(instance.name).toBe(name);
      expect((RETRYABLE_ENGINE_ERRORS as readonly string[]).includes(name), name).toBe(instance.retryable);
    }
  });

  it('every Lambda task retries Lambda service errors and throttling, and the retryable engine errors, with backoff', () => {
    for (const [name, make] of definitions) {
      for (const [stateName, state] of allStates(make())) {
        if (state.Type !== 'Task' || !String(state.Resource).includes('FunctionArn')) continue;
        const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[];
        const service = retry.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'));
        expect(service?.ErrorEquals, `${name} ${stateName}`).toEqual(expect.arrayContaining([...LAMBDA_SERVICE_ERRORS]));
        const engine = retry.find((r) => r.ErrorEquals.includes(ErrorNames.TransientError));
        expect(engine?.ErrorEquals).toEqual([...RETRYABLE_ENGINE_ERRORS]);
        for (const r of [service!, engine!]) {
          expect(r.BackoffRate).toBeGreaterThan(1);
          expect(r.MaxAttempts).toBeGreaterThan(1);
        }
        // No Retry clause matches a non-retryable or fencing error, by name or by wildcard.
        const retried = retry.flatMap((r) => r.ErrorEquals);
        for (const n of [...NON_RETRYABLE_ENGINE_ERRORS, ...FENCING_ERRORS, 'States.ALL', 'States.TaskFailed'])
          expect(retried).not.toContain(n);
      }
    }
  });

  it('the child sends a fencing error to Fenced, a non-retryable one to FailedPermanently, anything else to Failed', () => {
    const states = allStates(batchesDefinition());
    for (const name of [TASK_STATES.plan, 'Execute', TASK_STATES.route, 'ExecuteGroups', TASK_STATES.finish]) {
      expect(states.get(name)!.Catch, name).toEqual([
        { ErrorEquals: [ErrorNames.ConcurrentDriverError], ResultPath: '$.error', Next: 'Fenced' },
        { ErrorEquals: [...NON_RETRYABLE_ENGINE_ERRORS], ResultPath: '$.error', Next: 'FailedPermanently' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' },
      ]);
    }
    expect(states.get('FailedPermanently')!.Parameters).toMatchObject({ outcome: 'failed', retryable: false });
    expect(states.get('Failed')!.Parameters).toMatchObject({ outcome: 'failed', retryable: true });
    expect(states.get('Fenced')!.Parameters).toMatchObject({ outcome: 'fenced' });
  });

  it('the child is one executor per partition, and only small summaries cross states', () => {
    const execute = batchesDefinition().States.Execute!;
    expect(execute).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.batch.partitions',
      ResultPath: '$.results',
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' } },
    });
    expect(execute.ItemSelector).toEqual({ 'driver.$': '$.driver', 'batchId.$': '$.batch.batchId', 'partition.$': '$$.Map.Item.Value' });
    expect(batchesDefinition().TimeoutSeconds).toBeLessThanOrEqual(300);
  });

  it('a two-stage batch runs Route, then one stage-2 executor per slot, before Finish; a one-stage batch goes straight on', () => {
    const states = batchesDefinition().States;
    expect(states.Execute!.Next).toBe('TwoStage');
    expect(states.TwoStage).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [{ Variable: '$.batch.twoStage', BooleanEquals: true, Next: TASK_STATES.route }],
      Default: 'OneStage',
    });
    expect(states[TASK_STATES.route]).toMatchObject({
      Type: 'Task',
      Resource: `\${${PLACEHOLDERS.routeFunction}}`,
      Parameters: { 'driver.$': '$.driver', 'batch.$': '$.batch', 'results.$': '$.results' },
      ResultPath: '$.route',
      Next: 'ExecuteGroups',
    });
    expect(states.ExecuteGroups).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.route.slots',
      ItemSelector: { 'driver.$': '$.driver', 'batchId.$': '$.batch.batchId', 'groups.$': '$$.Map.Item.Value', 'stageOne.$': '$.results' },
      MaxConcurrency: MAX_STAGE_TWO_SLOTS,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: TASK_STATES.executeGroups,
        States: { [TASK_STATES.executeGroups]: { Resource: `\${${PLACEHOLDERS.executeGroupsFunction}}`, End: true } },
      },
      ResultPath: '$.groupResults',
      Next: TASK_STATES.finish,
    });
    // The Map's Retry and Catch are the executor's (the same clauses as Execute's).
    const execute = allStates(batchesDefinition()).get(TASK_STATES.execute)!;
    const executeGroups = allStates(batchesDefinition()).get(TASK_STATES.executeGroups)!;
    expect(executeGroups.Retry).toEqual(execute.Retry);
    expect(executeGroups.TimeoutSeconds).toBe(execute.TimeoutSeconds);
    expect(states.ExecuteGroups!.Catch).toEqual(states.Execute!.Catch);
    expect(states.OneStage).toMatchObject({ Type: 'Pass', Result: [], ResultPath: '$.groupResults', Next: TASK_STATES.finish });
    expect(states[TASK_STATES.finish]!.Parameters).toMatchObject({ 'results.$': '$.results', 'groupResults.$': '$.groupResults' });
  });

  it('the driver runs the Express child synchronously and continues as <jobId>-<generation+1>', () => {
    const states = driverDefinition().States;
    expect(states[TASK_STATES.runBatches]).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: `\${${PLACEHOLDERS.batchesStateMachine}}` },
    });
    expect(states[TASK_STATES.continueAsNew]).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: {
        'StateMachineArn.$': '$$.StateMachine.Id',
        'Name.$': "States.Format('{}-{}', $.jobId, $.next)",
        Input: { 'jobId.$': '$.jobId', 'generation.$': '$.next' },
      },
      Catch: [{ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: null, Next: 'HandedOver' }],
    });
    expect(states.NextGeneration!.Parameters).toMatchObject({ 'next.$': 'States.MathAdd($.generation, 1)' });
    expect(states.DriverFailed).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.error' });
  });

  it('maps every Lambda task state to a function with a placeholder', () => {
    for (const [name, make] of definitions) {
      for (const [stateName, state] of allStates(make())) {
        if (state.Type !== 'Task' || String(state.Resource).startsWith('arn:aws:states:::')) continue;
        const fn = TASK_FUNCTIONS[stateName];
        expect(fn, `${name} ${stateName}`).toBeDefined();
        expect(state.Resource).toBe(`\${${(DRIVER_FUNCTIONS[fn!] as { placeholder: string }).placeholder}}`);
      }
    }
  });
});

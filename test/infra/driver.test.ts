import { readFileSync } from 'node:fs';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../engine/errors.js';
import { ENV } from '../../functions/env.js';
import {
  LAMBDA_SERVICE_ERRORS,
  PLACEHOLDERS,
  RETRYABLE_ENGINE_ERRORS,
  batchesDefinition,
  driverDefinition,
} from '../../infra/state-machines/definitions.js';
import { DRIVER_FUNCTIONS } from '../../infra/state-machines/functions.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';

type Json = Record<string, unknown>;

function testApp(): App {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Json };
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
}

const logicalId = (stack: Stack, c: IConstruct) => stack.getLogicalId(c.node.defaultChild as never);

describe('SluiceDriver', () => {
  let stack: SluiceStack;
  let template: Template;
  let resources: Record<string, Json>;

  beforeAll(() => {
    stack = new SluiceStack(testApp(), 'Sluice', { driver: { settings: { childBudgetMs: 200_000 }, restartPolicy: { maxRestarts: 3 } } });
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources as Record<string, Json>;
  });

  function policyStatements(role: IConstruct): Json[] {
    const roleId = stack.getLogicalId(role.node.defaultChild as never);
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify((r.Properties as Json).Roles).includes(roleId))
      .flatMap((r) => ((r.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement);
  }

  it('deploys the two state machines from the shared definitions, with the function ARNs substituted', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const driver = machines[logicalId(stack, stack.driver.driver)]!.Properties as Json;
    const batches = machines[logicalId(stack, stack.driver.batches)]!.Properties as Json;
    expect(batches.StateMachineType).toBe('EXPRESS');
    expect(driver.StateMachineType).toBe('STANDARD');
    expect(driver.DefinitionString).toBe(JSON.stringify(driverDefinition()));
    expect(batches.DefinitionString).toBe(JSON.stringify(batchesDefinition()));
    const fn = (name: keyof typeof DRIVER_FUNCTIONS) => ({ 'Fn::GetAtt': [logicalId(stack, stack.driver.functions[name]), 'Arn'] });
    expect(batches.DefinitionSubstitutions).toMatchObject({
      [PLACEHOLDERS.planFunction]: fn('plan'),
      [PLACEHOLDERS.executeFunction]: fn('execute'),
      [PLACEHOLDERS.routeFunction]: fn('route'),
      [PLACEHOLDERS.executeGroupsFunction]: fn('executeGroups'),
      [PLACEHOLDERS.finishFunction]: fn('finish'),
    });
    expect(driver.DefinitionSubstitutions).toMatchObject({
      [PLACEHOLDERS.startGenerationFunction]: fn('startGeneration'),
      [PLACEHOLDERS.endGenerationFunction]: fn('endGeneration'),
      [PLACEHOLDERS.batchesStateMachine]: { Ref: logicalId(stack, stack.driver.batches) },
    });
  });

  it('retries Lambda service errors and the retryable engine errors by their exported names', () => {
    const batches = JSON.parse(JSON.stringify(batchesDefinition())) as { States: Record<string, { Retry?: { ErrorEquals: string[] }[] }> };
    const retried = batches.States.Plan!.Retry!.flatMap((r) => r.ErrorEquals);
    expect(retried).toEqual([...LAMBDA_SERVICE_ERRORS, ...RETRYABLE_ENGINE_ERRORS]);
    expect(retried).toContain(ErrorNames.TransientError);
  });

  it('runs every function on Node 24, arm64, with the configured memory, timeout, log retention and logger settings', () => {
    for (const [name, spec] of Object.entries(DRIVER_FUNCTIONS)) {
      const fn = resources[logicalId(stack, stack.driver.functions[name as keyof typeof DRIVER_FUNCTIONS])]!.Properties as Json;
      expect(fn, name).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: spec.memoryMb,
        Timeout: spec.timeoutSeconds,
        TracingConfig: { Mode: 'Active' },
      });
      // The Powertools Logger's service name and level (functions/logger.ts).
      expect((fn.Environment as { Variables: Json }).Variables, name).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'sluice',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
    }
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(8);
    for (const group of groups) expect((group.Properties as Json).RetentionInDays).toBe(30);
  });

  it('names each resource in an environment variable next to its grant, and passes the settings', () => {
    const execute = resources[logicalId(stack, stack.driver.functions.execute)]!.Properties as { Environment: { Variables: Json } };
    expect(execute.Environment.Variables).toMatchObject({
      [ENV.walTable]: { Ref: logicalId(stack, stack.storage.walTable) },
      [ENV.deadLetterTable]: { Ref: logicalId(stack, stack.storage.deadLetterTable) },
      [ENV.checkpointBucket]: { Ref: logicalId(stack, stack.storage.checkpointBucket) },
      [ENV.childBudgetMs]: '200000',
      [ENV.maxRestarts]: '3',
    });
    const statements = JSON.stringify(policyStatements(stack.driver.functions.execute.role!));
    expect(statements).toContain(logicalId(stack, stack.storage.walTable));
    expect(statements).toContain(logicalId(stack, stack.storage.checkpointBucket));
    expect(statements).not.toContain('states:');
  });

  it('lets the supervisor start and describe driver executions, and nothing of the child or the bucket', () => {
    const statements = policyStatements(stack.driver.functions.supervisor.role!);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions).toEqual(expect.arrayContaining(['states:StartExecution', 'states:DescribeExecution']));
    expect(actions.some((a) => a.startsWith('s3:'))).toBe(false);
    const start = statements.find((s) => s.Action === 'states:StartExecution')!;
    expect(JSON.stringify(start.Resource)).toContain(':stateMachine:Sluice-driver');
    const env = (resources[logicalId(stack, stack.driver.functions.supervisor)]!.Properties as { Environment: { Variables: Json } })
      .Environment.Variables;
    expect(env[ENV.driverStateMachineArn]).toEqual({ Ref: logicalId(stack, stack.driver.driver) });
  });

  it('lets each state machine invoke only its own functions, and the driver start its child and its next generation', () => {
    const invoked = (machine: IConstruct) =>
      policyStatements((machine as typeof stack.driver.driver).role)
        .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'))
        .flatMap((s) => [s.Resource].flat())
        .map((r) => JSON.stringify(r));
    const arnOf = (fn: IConstruct) => JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, fn), 'Arn'] });
    const f = stack.driver.functions;
    expect(
      invoked(stack.driver.batches)
        .filter((r) => !r.includes(':*'))
        .sort(),
    ).toEqual([f.plan, f.execute, f.route, f.executeGroups, f.finish].map(arnOf).sort());
    expect(
      invoked(stack.driver.driver)
        .filter((r) => !r.includes(':*'))
        .sort(),
    ).toEqual([f.startGeneration, f.endGeneration].map(arnOf).sort());
    const driverActions = policyStatements(stack.driver.driver.role).flatMap((s) => [s.Action].flat() as string[]);
    expect(driverActions).toEqual(
      expect.arrayContaining(['states:StartExecution', 'states:DescribeExecution', 'states:StopExecution', 'events:PutRule']),
    );
  });

  it('sends failed, timed-out and aborted driver executions to the supervisor, and reconciles on a schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: logicalId(stack, stack.driver.driver) }] },
      },
      Targets: [{ Arn: { 'Fn::GetAtt': [logicalId(stack, stack.driver.functions.supervisor), 'Arn'] } }],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [{ Arn: { 'Fn::GetAtt': [logicalId(stack, stack.driver.functions.supervisor), 'Arn'] } }],
    });
  });

  it('logs the Standard driver fully and the Express child at ERROR only, both traced', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    expect(machines[logicalId(stack, stack.driver.driver)]!.Properties).toMatchObject({
      LoggingConfiguration: { Level: 'ALL' },
      TracingConfiguration: { Enabled: true },
    });
    expect(machines[logicalId(stack, stack.driver.batches)]!.Properties).toMatchObject({
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
  });
});

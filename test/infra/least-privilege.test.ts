/**
 * What every function's role is allowed beyond its own grants: writing its own log group,
 * nothing more (no AWS managed policy: AWSLambdaBasicExecutionRole would allow creating and
 * writing any log group of the account); and the DynamoDB actions of the jobs API's control
 * function, which are the calls its code makes (infra/constructs/sluice-api.ts).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { logicalId, policyStatements, testApp, type Json } from './support.js';

describe("every function's role", () => {
  let stack: SluiceStack;
  let template: Template;
  let resources: Record<string, Json>;

  beforeAll(() => {
    stack = new SluiceStack(testApp(), 'Sluice', {});
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  });

  const functions = () => Object.entries({ ...stack.driver.functions, ...stack.api.functions });

  it('has no managed policy, and no role of the stack has one', () => {
    expect(functions()).toHaveLength(10);
    for (const [name, fn] of functions()) {
      expect(resources[logicalId(stack, fn.role!)]!.Properties, name).not.toHaveProperty('ManagedPolicyArns');
    }
    for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties, id).not.toHaveProperty('ManagedPolicyArns');
    }
  });

  it('may create streams in and write to its own log group, which has a retention, and no other', () => {
    for (const [name, fn] of functions()) {
      const group = (resources[logicalId(stack, fn)]!.Properties as Json).LoggingConfig.LogGroup as Json;
      expect(group, name).toEqual({ Ref: expect.any(String) });
      expect(resources[group.Ref]!.Properties.RetentionInDays, name).toBe(30);
      const logs = policyStatements(stack, template, fn.role!).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('logs:')));
      // The group's Arn attribute is arn:...:log-group:<name>:*, the group and its streams.
      expect(logs, name).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [group.Ref, 'Arn'] } },
      ]);
    }
  });

  it('grants logs:CreateLogGroup nowhere in the stack', () => {
    const everyPolicy = JSON.stringify([template.findResources('AWS::IAM::Policy'), template.findResources('AWS::IAM::Role')]);
    expect(everyPolicy).not.toContain('logs:CreateLogGroup');
    expect(everyPolicy).not.toContain('logs:*');
    expect(everyPolicy).not.toContain('AWSLambdaBasicExecutionRole');
  });

  it("gives the API control function only the DynamoDB calls its code makes: on the WAL table, and describing the jobs' tables", () => {
    const control = policyStatements(stack, template, stack.api.functions.apiControl.role!);
    const wal = { 'Fn::GetAtt': [logicalId(stack, stack.storage.walTable), 'Arn'] };
    const dynamodb = control.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    const on = (resource: unknown) =>
      dynamodb
        .filter((s) => JSON.stringify([s.Resource].flat()).includes(JSON.stringify(resource)))
        .flatMap((s) => [s.Action].flat())
        .sort();
    // The list next to the grant (CONTROL_WAL_ACTIONS), read from the adapters the routes run.
    expect(on(wal)).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    const all = [...new Set(dynamodb.flatMap((s) => [s.Action].flat()))].sort();
    expect(all).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    // DescribeTable is a start's check of the job's own tables (the demo writes page-views), not of the WAL table.
    const describes = dynamodb.filter((s) => [s.Action].flat().includes('dynamodb:DescribeTable'));
    expect(describes.map((s) => [s.Action].flat())).toEqual([['dynamodb:DescribeTable']]);
    expect(JSON.stringify(describes[0]!.Resource)).toContain(':table/page-views');
    expect(JSON.stringify(describes[0]!.Resource)).not.toContain(logicalId(stack, stack.storage.walTable));
  });
});

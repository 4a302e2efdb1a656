/**
 * The late-records tables of a deployment (JobSpec.lateRecords), from CDK context or
 * props like the sink tables: only the execute function (stage 1, and one-stage batches),
 * which decides lateness and writes late records, may write them.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SINK_TABLE_KEYS } from '../../engine/adapters/aws/table-keys.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { allowed, logicalId, testApp } from './support.js';

describe('late-records tables', () => {
  let stack: SluiceStack;
  let template: Template;

  beforeAll(() => {
    stack = new SluiceStack(
      testApp({ 'sluice:lateRecordTables': 'late-clicks', 'sluice:createLateRecordTables': ['late-views'], 'sluice:sinkTables': 'views' }),
      'Sluice',
    );
    template = Template.fromStack(stack);
  });

  it('creates the tables asked for like sink tables (kept, encrypted, the sink key schema)', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: { TableName: 'late-views', KeySchema: [{ AttributeName: SINK_TABLE_KEYS.partitionKey, KeyType: 'HASH' }] },
    });
    expect(stack.lateRecordTables).toHaveLength(2);
  });

  it('lets stage 1 write late records to existing and created tables, and no other function', () => {
    const writes = (name: keyof SluiceStack['driver']['functions']) =>
      (allowed(stack, template, stack.driver.functions[name].role!).get('dynamodb:PutItem') ?? []).join(' ');
    expect(writes('execute')).toContain('table/late-clicks');
    expect(writes('execute')).toContain(logicalId(stack, stack.lateRecordTables[1]!));
    for (const name of ['executeGroups', 'plan', 'finish', 'route'] as const) {
      expect(writes(name)).not.toContain('late-clicks');
      expect(writes(name)).not.toContain(logicalId(stack, stack.lateRecordTables[1]!));
    }
    // The job's sink stays granted as before: stage 2 puts its rows.
    expect(writes('executeGroups')).toContain('table/views');
  });

  it('takes the tables from props too', () => {
    const fromProps = new SluiceStack(testApp(), 'Sluice', { sinks: { lateRecordTables: ['late-orders'] } });
    const writes = (
      allowed(fromProps, Template.fromStack(fromProps), fromProps.driver.functions.execute.role!).get('dynamodb:PutItem') ?? []
    ).join(' ');
    expect(writes).toContain('table/late-orders');
  });
});

/**
 * The alarms the stack creates: the supervisor's EventBridge targets put what they could not
 * deliver in an encrypted, TLS-only dead-letter queue, alarmed on as soon as a message is
 * in it; the jobs API's 5xx are alarmed on; every alarm goes to the alarm topic when there
 * is one; and docs/deploy.md lists each alarm of the template with its metric.
 */
import { readFileSync } from 'node:fs';
import { CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { logicalId, testApp, type Json } from './support.js';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:ops';

describe('the alarms of the stack', () => {
  let stack: SluiceStack;
  let resources: Record<string, Json>;

  beforeAll(() => {
    stack = new SluiceStack(testApp({ 'sluice:alarmTopicArn': TOPIC_ARN }), 'Sluice', {});
    resources = Template.fromStack(stack).toJSON().Resources;
  });

  const props = (construct: Parameters<typeof logicalId>[1]) => resources[logicalId(stack, construct)]!.Properties as Json;

  it("gives both of the supervisor's EventBridge targets a dead-letter queue, encrypted and refusing plain HTTP", () => {
    const queue = logicalId(stack, stack.driver.supervisorDeadLetters);
    for (const rule of [stack.driver.restartRule, stack.driver.reconcileSchedule]) {
      const [target, ...more] = props(rule).Targets as Json[];
      expect(more).toEqual([]);
      expect(target!.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] } });
    }
    expect(resources[queue]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    const policy = Object.values(resources).find(
      (r) => r.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(r.Properties.Queues).includes(queue),
    );
    const statements = policy!.Properties.PolicyDocument.Statement as Json[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    // EventBridge may send, from these two rules only.
    const sends = statements.filter((s) => s.Effect === 'Allow');
    expect(sends.map((s) => [s.Principal, s.Action])).toEqual([
      [{ Service: 'events.amazonaws.com' }, 'sqs:SendMessage'],
      [{ Service: 'events.amazonaws.com' }, 'sqs:SendMessage'],
    ]);
    expect(sends.map((s) => s.Condition.ArnEquals['aws:SourceArn'])).toEqual([
      { 'Fn::GetAtt': [logicalId(stack, stack.driver.restartRule), 'Arn'] },
      { 'Fn::GetAtt': [logicalId(stack, stack.driver.reconcileSchedule), 'Arn'] },
    ]);
  });

  it('alarms as soon as one message is in the dead-letter queue', () => {
    expect(props(stack.monitoring.supervisorDeadLetters)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, stack.driver.supervisorDeadLetters), 'QueueName'] } }],
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it("alarms on any 5xx of the jobs API (an HTTP API's 5xx metric)", () => {
    expect(props(stack.monitoring.apiServerErrors)).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack, stack.api.httpApi) } }],
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it('sends every alarm, and its return to OK, to the alarm topic', () => {
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(9);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions, alarm.Properties.AlarmDescription).toEqual([TOPIC_ARN]);
      expect(alarm.Properties.OKActions, alarm.Properties.AlarmDescription).toEqual([TOPIC_ARN]);
    }
  });

  it('are each listed in docs/deploy.md with the metrics they watch, and the list has no other', () => {
    const rows = documentedAlarms();
    const inTemplate = stack.node
      .findAll()
      .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::CloudWatch::Alarm');
    expect(inTemplate).toHaveLength(Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length);
    for (const alarm of inTemplate) {
      const name = alarm.node.scope!.node.id;
      const row = rows.get(name);
      expect(row, `${name} in docs/deploy.md`).toBeDefined();
      const properties = resources[stack.resolve(alarm.logicalId) as string]!.Properties as Json;
      const metrics = [properties.MetricName, ...((properties.Metrics ?? []) as Json[]).map((m) => m.MetricStat?.Metric.MetricName)];
      for (const metric of metrics.filter((m) => m !== undefined)) expect(row!.metric, `${name}'s metric`).toContain(metric);
    }
    expect([...rows.keys()].sort()).toEqual(inTemplate.map((a) => a.node.scope!.node.id).sort());
  });
});

/** The alarm table of docs/deploy.md: name (first cell) → its metric cell and the rest of the row. */
function documentedAlarms(): Map<string, { metric: string; row: string }> {
  const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### Alarms'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| alarm')));
  const out = new Map<string, { metric: string; row: string }>();
  for (const line of table.split('\n').filter((l) => l.startsWith('| `'))) {
    const cells = line.split(' | ').map((c) => c.replace(/^\|\s*|\s*\|$/g, '').trim());
    out.set(cells[0]!.replace(/`/g, ''), { metric: cells[1]!, row: line });
  }
  return out;
}

/** The dead-letter alarm of the monitoring construct (infra/constructs/sluice-monitoring.ts). */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../functions/metrics.js';
import { DEAD_LETTER_ALARM_MIN_RECORDS } from '../../infra/constructs/sluice-monitoring.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { logicalId, testApp, type Json } from './support.js';

describe('the dead-letter alarm', () => {
  let stack: SluiceStack;
  let alarm: Json;

  beforeAll(() => {
    stack = new SluiceStack(testApp(), 'Sluice', {});
    alarm = Template.fromStack(stack).toJSON().Resources[logicalId(stack, stack.monitoring.deadLetters)].Properties as Json;
  });

  it('alarms when more than 5 % of the records of every job within 5 minutes were dead-lettered', () => {
    expect(alarm).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const metrics = alarm.Metrics as Json[];
    const expression = metrics.find((m) => m.Expression !== undefined);
    expect(expression).toMatchObject({
      Expression: `IF(records >= ${DEAD_LETTER_ALARM_MIN_RECORDS}, 100 * deadLetters / records, 0)`,
      ReturnData: true,
    });
    const inputs = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat]));
    for (const [id, name] of [
      ['deadLetters', METRIC_NAMES.deadLetters],
      ['records', METRIC_NAMES.records],
    ] as const) {
      expect(inputs[id], id).toMatchObject({
        Metric: { Namespace: 'Sluice', MetricName: name, Dimensions: [{ Name: 'Deployment', Value: 'Sluice' }] },
        Stat: 'Sum',
        Period: 300,
      });
    }
    expect(alarm.AlarmDescription).toContain('dead-lettered');
  });

  it("is on the dashboard's alarm status widget", () => {
    const body = JSON.stringify(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain(logicalId(stack, stack.monitoring.deadLetters));
  });
});

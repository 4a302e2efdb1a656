/** The jobs API in the stack (infra/constructs/sluice-api.ts) and the alarms and dashboard (sluice-monitoring.ts). */
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_FUNCTIONS, API_ROUTES, type ApiFunction } from '../../functions/api-routes.js';
import { ENV } from '../../functions/env.js';
import { METRIC_NAMES } from '../../functions/metrics.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { allowed, logicalId, testApp, type Json } from './support.js';

describe('SluiceApi', () => {
  let stack: SluiceStack;
  let template: Template;
  let resources: Record<string, Json>;

  beforeAll(() => {
    stack = new SluiceStack(testApp(), 'Sluice');
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  });

  const fnId = (name: ApiFunction) => logicalId(stack, stack.api.functions[name]);

  it('has exactly the routes of functions/api-routes.ts, every one with IAM authorization', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties as Json);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(Object.keys(API_ROUTES).sort());
    for (const route of routes) expect(route, route.RouteKey).toMatchObject({ AuthorizationType: 'AWS_IAM' });
  });

  it('sends each route to the function the route table names', () => {
    const integrationOf = (id: string) => (resources[id]!.Properties as Json).IntegrationUri;
    for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
      const { RouteKey, Target } = route.Properties as {
        RouteKey: keyof typeof API_ROUTES;
        Target: { 'Fn::Join': [string, [string, { Ref: string }]] };
      };
      const integrationId = Target['Fn::Join'][1][1].Ref;
      expect(integrationOf(integrationId), RouteKey).toEqual({ 'Fn::GetAtt': [fnId(API_ROUTES[RouteKey]), 'Arn'] });
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 2);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('deploys one $default stage with JSON access logs that name the caller, and throttling', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties as Json;
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalId(stack, stack.api.accessLogs), 'Arn'] } },
    });
    const format = JSON.parse(stage.AccessLogSettings.Format as string) as Json;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      caller: '$context.identity.userArn',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
    template.hasOutput('ApiUrl', {});
  });

  it('outputs the ARN a caller needs execute-api:Invoke on, and grants it', () => {
    const fresh = new SluiceStack(testApp(), 'Sluice');
    const role = new iam.Role(fresh, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    fresh.api.grantInvoke(role);
    const t = Template.fromStack(fresh);
    const apiId = logicalId(fresh, fresh.api.httpApi);
    const invokeArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':execute-api:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':',
          { Ref: apiId },
          '/*',
        ],
      ],
    };
    t.hasOutput('ApiInvokeArn', { Value: invokeArn });
    expect(allowed(fresh, t, role).get('execute-api:Invoke')).toEqual([JSON.stringify(invokeArn)]);
  });

  it('runs both functions on Node 24, arm64, with their memory, timeout and logger settings', () => {
    for (const name of Object.keys(API_FUNCTIONS) as ApiFunction[]) {
      expect(resources[fnId(name)]!.Properties, name).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: API_FUNCTIONS[name].memoryMb,
        Timeout: API_FUNCTIONS[name].timeoutSeconds,
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'sluice', POWERTOOLS_LOG_LEVEL: 'INFO' } },
      });
    }
  });

  it('lets the read function read the WAL table, query the dead-letter table and describe driver executions, and nothing else', () => {
    const wal = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, stack.storage.walTable), 'Arn'] });
    const deadLetters = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, stack.storage.deadLetterTable), 'Arn'] });
    const env = (resources[fnId('apiRead')]!.Properties as { Environment: { Variables: Json } }).Environment.Variables;
    expect(env).toMatchObject({
      [ENV.walTable]: { Ref: logicalId(stack, stack.storage.walTable) },
      [ENV.deadLetterTable]: { Ref: logicalId(stack, stack.storage.deadLetterTable) },
      [ENV.driverStateMachineArn]: { Ref: logicalId(stack, stack.driver.driver) },
      // Where file sinks without a bucket of their own are: results read them (none in this deployment, so no grant on it).
      [ENV.checkpointBucket]: { Ref: logicalId(stack, stack.storage.checkpointBucket) },
    });
    expect(JSON.stringify([...allowed(stack, template, stack.api.functions.apiRead.role!).values()])).not.toContain(
      logicalId(stack, stack.storage.checkpointBucket),
    );
    const actions = allowed(stack, template, stack.api.functions.apiRead.role!);
    // Besides X-Ray and its own log group (least-privilege.test.ts):
    const mine = [...actions.keys()].filter((a) => !a.startsWith('xray:') && !a.startsWith('logs:'));
    expect(mine.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(mine.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
    expect(actions.get('dynamodb:Query')!.sort()).toEqual([deadLetters, wal].sort());
    // The dead-letter table: Query only.
    expect(mine.filter((a) => actions.get(a)!.includes(deadLetters))).toEqual(['dynamodb:Query']);
    expect(mine.filter((a) => !a.startsWith('dynamodb:'))).toEqual(['states:DescribeExecution']);
    expect(actions.get('states:DescribeExecution')![0]).toContain(':execution:Sluice-driver:*');
  });

  it('lets the control function write the registry, copy checkpoints (no delete) and start driver executions only', () => {
    const env = (resources[fnId('apiControl')]!.Properties as { Environment: { Variables: Json } }).Environment.Variables;
    expect(env).toMatchObject({
      [ENV.walTable]: { Ref: logicalId(stack, stack.storage.walTable) },
      [ENV.checkpointBucket]: { Ref: logicalId(stack, stack.storage.checkpointBucket) },
      [ENV.driverStateMachineArn]: { Ref: logicalId(stack, stack.driver.driver) },
      [ENV.deadLetterTable]: { Ref: logicalId(stack, stack.storage.deadLetterTable) },
    });
    const actions = allowed(stack, template, stack.api.functions.apiControl.role!);
    expect([...actions.keys()]).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 's3:GetObject', 's3:PutObject', 's3:ListBucket', 'states:StartExecution']),
    );
    expect(actions.has('s3:DeleteObject')).toBe(false);
    expect(actions.get('s3:PutObject')).toEqual([
      JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack, stack.storage.checkpointBucket), 'Arn'] }, '/jobs/*']] }),
    ]);
    expect(actions.get('states:StartExecution')).toEqual([JSON.stringify({ Ref: logicalId(stack, stack.driver.driver) })]);
    expect(
      [...actions.keys()].filter(
        (a) => a.startsWith('dynamodb:') && JSON.stringify(actions.get(a)).includes(logicalId(stack, stack.storage.deadLetterTable)),
      ),
    ).toEqual([]);
  });
});

describe('SluiceMonitoring', () => {
  let stack: SluiceStack;
  let template: Template;
  const alarmOf = (alarm: { node: { defaultChild?: unknown } }) =>
    template.toJSON().Resources[logicalId(stack, alarm as never)].Properties as Json;

  beforeAll(() => {
    const app = testApp();
    stack = new SluiceStack(app, 'Sluice', {});
    template = Template.fromStack(stack);
  });

  it('alarms when a driver execution fails, times out or is aborted', () => {
    const alarm = alarmOf(stack.monitoring.driverFailures);
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    const metrics = (alarm.Metrics as Json[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric);
    expect(metrics.map((m) => m.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const m of metrics)
      expect(m).toMatchObject({
        Namespace: 'AWS/States',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack, stack.driver.driver) } }],
      });
  });

  it.each([
    ['driverRestarts', METRIC_NAMES.driverRestarts, 'Sum', 3, 3600],
    ['jobGaveUp', METRIC_NAMES.jobsGaveUp, 'Sum', 1, 300],
    ['batchDuration', METRIC_NAMES.batchDuration, 'Maximum', 60_000, 300],
    ['lag', METRIC_NAMES.lag, 'Maximum', 300_000, 300],
    ['executorMemory', METRIC_NAMES.executorMemory, 'Maximum', 80, 300],
  ] as const)('alarms on the engine metric behind %s, per deployment', (name, metricName, statistic, threshold, period) => {
    expect(alarmOf(stack.monitoring[name])).toMatchObject({
      Namespace: 'Sluice',
      MetricName: metricName,
      Dimensions: [{ Name: 'Deployment', Value: 'Sluice' }],
      Statistic: statistic,
      Threshold: threshold,
      Period: period,
      TreatMissingData: 'notBreaching',
    });
  });

  it('the execute and Finish tasks and the supervisor name the deployment their metrics are under', () => {
    for (const fn of [stack.driver.functions.execute, stack.driver.functions.finish, stack.driver.functions.supervisor]) {
      expect(JSON.stringify(template.toJSON().Resources[logicalId(stack, fn)].Properties.Environment)).toContain(
        `"${ENV.deployment}":"Sluice"`,
      );
    }
  });

  it('sends alarms and their return to OK to a topic when one is given, and builds a dashboard of per-job searches', () => {
    const app = testApp();
    const withTopic = new SluiceStack(app, 'Alarmed', {});
    const t = Template.fromStack(withTopic);
    expect(Object.values(t.findResources('AWS::CloudWatch::Alarm')).every((a) => a.Properties.AlarmActions === undefined)).toBe(true);

    const topicApp = testApp({ 'sluice:alarmTopicArn': 'arn:aws:sns:eu-west-1:123456789012:ops' });
    const alarmed = Template.fromStack(new SluiceStack(topicApp, 'Alarmed', {}));
    const alarms = Object.values(alarmed.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(9);
    for (const a of alarms)
      expect(a.Properties).toMatchObject({
        AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:ops'],
        OKActions: ['arn:aws:sns:eu-west-1:123456789012:ops'],
      });

    // The body is JSON inside a Fn::Join: unescape it once to read the search expressions.
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody).replace(
      /\\+"/g,
      '"',
    );
    for (const name of [METRIC_NAMES.batchDuration, METRIC_NAMES.lag, METRIC_NAMES.records, METRIC_NAMES.executorMemory]) {
      expect(body).toContain(`SEARCH('{Sluice,Deployment,JobId} MetricName="${name}" Deployment="Sluice"'`);
    }
  });
});

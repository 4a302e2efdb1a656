/**
 * Sources and sinks in the stack from CDK context (infra/context.ts, infra/constructs/
 * sluice-sources.ts, the stack's sinks): Kinesis streams existing and created, an MSK
 * cluster in its VPC (IAM, or SCRAM with its secret), sink tables, the alarm topic, the
 * removal policy, and the context key named in each refusal.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SINK_TABLE_KEYS } from '../../engine/adapters/aws/table-keys.js';
import { NETWORK_INTERFACE_ACTIONS } from '../../infra/constructs/sluice-function.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { CLUSTER_ARN, FULL_CONTEXT, KAFKA_CONTEXT } from '../support/source-context.js';
import { allowed, logicalId, testApp, type Json } from './support.js';

describe('sources and sinks from CDK context', () => {
  let stack: SluiceStack;
  let template: Template;
  let resources: Record<string, Json>;

  beforeAll(() => {
    stack = new SluiceStack(testApp(FULL_CONTEXT), 'Sluice');
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  });

  it('creates the Kinesis stream encrypted with the aws/kinesis key, kept when the stack goes', () => {
    template.hasResource('AWS::Kinesis::Stream', {
      DeletionPolicy: 'Retain',
      Properties: {
        Name: 'clickstream',
        ShardCount: 4,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
        RetentionPeriodHours: 24,
      },
    });
  });

  it('grants the planner and the executors read on every stream, existing (by name or ARN) and created', () => {
    for (const fn of [stack.driver.functions.plan, stack.driver.functions.execute]) {
      const resourcesOf = allowed(stack, template, fn.role!).get('kinesis:GetRecords') ?? [];
      const text = resourcesOf.join(' ');
      expect(text).toContain(':stream/orders');
      expect(text).toContain('arn:aws:kinesis:eu-west-1:123456789012:stream/payments');
      expect(text).toContain(logicalId(stack, stack.sources.createdStream!));
    }
    expect(allowed(stack, template, stack.driver.functions.finish.role!).has('kinesis:GetRecords')).toBe(false);
  });

  it("creates sink tables like the engine's own (on demand, encrypted, point-in-time recovery, kept) and lets only the executors write them", () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: 'page-views',
        KeySchema: [{ AttributeName: SINK_TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
    const execute = allowed(stack, template, stack.driver.functions.execute.role!).get('dynamodb:PutItem')!.join(' ');
    expect(execute).toContain('table/legacy-sink');
    // The created one (page-views); the imported ones (legacy-sink, the catalog's) are named above or by the catalog test.
    expect(execute).toContain(logicalId(stack, stack.sinkTables.find((t) => t.node.id.startsWith('CreatedSinkTable'))!));
    expect((allowed(stack, template, stack.driver.functions.plan.role!).get('dynamodb:PutItem') ?? []).join(' ')).not.toContain(
      'legacy-sink',
    );
  });

  it("runs only the plan and execute functions in the Kafka cluster's VPC, with its connection and IAM grants", () => {
    const sg = { 'Fn::GetAtt': [logicalId(stack, stack.sources.kafkaSecurityGroup!), 'GroupId'] };
    for (const fn of [stack.driver.functions.plan, stack.driver.functions.execute]) {
      const props = resources[logicalId(stack, fn)]!.Properties as Json;
      expect(props.VpcConfig).toEqual({ SubnetIds: KAFKA_CONTEXT.privateSubnetIds, SecurityGroupIds: [sg] });
      expect(props.Environment.Variables).toMatchObject({
        SLUICE_KAFKA_BROKERS: KAFKA_CONTEXT.bootstrapServers.join(','),
        SLUICE_KAFKA_AUTH: 'iam',
        SLUICE_KAFKA_TLS: 'true',
      });
      const actions = allowed(stack, template, fn.role!);
      expect(actions.get('kafka-cluster:Connect')).toEqual([JSON.stringify(CLUSTER_ARN)]);
      const topic = JSON.stringify('arn:aws:kafka:eu-west-1:123456789012:topic/events/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2/clicks');
      expect(actions.get('kafka-cluster:DescribeTopic')).toEqual([topic]);
      expect(actions.get('kafka-cluster:ReadData')).toEqual([topic]);
      const role = resources[logicalId(stack, fn.role!)]!.Properties as Json;
      // No AWS managed policy: the network interfaces' EC2 actions in a policy of their own (sluice-function.ts).
      expect(role).not.toHaveProperty('ManagedPolicyArns');
      for (const action of NETWORK_INTERFACE_ACTIONS) expect(actions.get(action), action).toEqual([JSON.stringify('*')]);
    }
    for (const name of ['startGeneration', 'finish', 'endGeneration', 'supervisor'] as const) {
      const props = resources[logicalId(stack, stack.driver.functions[name])]!.Properties as Json;
      expect(props, name).not.toHaveProperty('VpcConfig');
      expect(JSON.stringify(props.Environment), name).not.toContain('SLUICE_KAFKA');
    }
  });

  it("adds gateway endpoints for DynamoDB and S3 on the subnets' route tables, and admits the functions on the listener's port", () => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) => e.Properties as Json);
    expect(endpoints).toHaveLength(2);
    for (const e of endpoints)
      expect(e).toMatchObject({
        VpcEndpointType: 'Gateway',
        VpcId: KAFKA_CONTEXT.vpcId,
        RouteTableIds: KAFKA_CONTEXT.privateSubnetRouteTableIds,
      });
    expect(
      endpoints
        .map((e) => JSON.stringify(e.ServiceName))
        .sort()
        .join(' '),
    ).toMatch(/dynamodb.*s3/);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: KAFKA_CONTEXT.clusterSecurityGroupId,
      IpProtocol: 'tcp',
      FromPort: 9098,
      ToPort: 9098,
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, stack.sources.kafkaSecurityGroup!), 'GroupId'] },
    });
    template.hasOutput('KafkaClientSecurityGroupId', {});
  });

  it('takes the alarm topic and thresholds from context', () => {
    expect(resources[logicalId(stack, stack.monitoring.lag)]!.Properties as Json).toMatchObject({
      Threshold: 600_000,
      AlarmActions: [FULL_CONTEXT['sluice:alarmTopicArn']],
    });
  });

  it('lets a throwaway dev stack delete its data with it (sluice:removalPolicy=destroy)', () => {
    const dev = Template.fromStack(new SluiceStack(testApp({ ...FULL_CONTEXT, 'sluice:removalPolicy': 'destroy' }), 'Dev'));
    for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Kinesis::Stream']) {
      const found = Object.values(dev.findResources(type));
      expect(found.length, type).toBeGreaterThan(0);
      for (const r of found) expect(r, type).toMatchObject({ DeletionPolicy: 'Delete' });
    }
    expect(() => new SluiceStack(testApp({ 'sluice:removalPolicy': 'keep' }), 'S')).toThrow(
      'context sluice:removalPolicy must be retain or destroy, got "keep"',
    );
  });

  it('names the context key of a bad value', () => {
    expect(() => new SluiceStack(testApp({ 'sluice:kinesisShards': '4' }), 'S')).toThrow(
      'context sluice:kinesisShards goes with sluice:createKinesisStream',
    );
    expect(() => new SluiceStack(testApp({ 'sluice:createKinesisStream': 'x', 'sluice:kinesisShards': 'many' }), 'S')).toThrow(
      'context sluice:kinesisShards must be a positive integer, got "many"',
    );
    expect(() => new SluiceStack(testApp({ 'sluice:kafka': '{"bootstrapServers":"b:9098"' }), 'S')).toThrow(
      /context sluice:kafka must be JSON/,
    );
    expect(() => new SluiceStack(testApp({ 'sluice:kafka': JSON.stringify({ ...KAFKA_CONTEXT, vpcID: 'x' }) }), 'S')).toThrow(
      /vpcID must be one of the known fields/,
    );
    expect(() => new SluiceStack(testApp({ 'sluice:kafka': JSON.stringify({ ...KAFKA_CONTEXT, clusterArn: undefined }) }), 'S')).toThrow(
      /kafka.clusterArn must be the MSK cluster's ARN/,
    );
    expect(
      () => new SluiceStack(testApp({ 'sluice:kafka': JSON.stringify({ ...KAFKA_CONTEXT, bootstrapServers: ['a:9098', 'b:9096'] }) }), 'S'),
    ).toThrow(/brokers of one listener/);
  });

  it('takes SCRAM from a Secrets Manager secret, and names a bad SCRAM field', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_sluice-AbCdEf';
    const encryptionKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const scram = {
      ...KAFKA_CONTEXT,
      clusterArn: undefined,
      bootstrapServers: KAFKA_CONTEXT.bootstrapServers.map((b) => b.replace(':9098', ':9096')),
      auth: { type: 'scram-sha-512', secretArn, encryptionKeyArn },
    };
    const withScram = new SluiceStack(testApp({ 'sluice:kafka': JSON.stringify(scram) }), 'S');
    const plan = Template.fromStack(withScram).toJSON().Resources[logicalId(withScram, withScram.driver.functions.plan)]!
      .Properties as Json;
    expect(plan.Environment.Variables).toMatchObject({
      SLUICE_KAFKA_AUTH: 'scram-sha-512',
      SLUICE_KAFKA_SECRET_ARN: secretArn,
      SLUICE_KAFKA_TLS: 'true',
    });
    const bad = (auth: unknown) => () => new SluiceStack(testApp({ 'sluice:kafka': JSON.stringify({ ...scram, auth }) }), 'S');
    expect(bad('scram')).toThrow(
      'context sluice:kafka: auth must be "iam", "none" or { "type": "scram-sha-512", "secretArn": ..., "encryptionKeyArn": ... }',
    );
    expect(bad({ type: 'scram-sha-256', secretArn, encryptionKeyArn })).toThrow('context sluice:kafka: auth.type must be "scram-sha-512"');
    expect(bad({ type: 'scram-sha-512', secretArn })).toThrow('context sluice:kafka: auth.encryptionKeyArn must be a non-empty string');
    expect(bad({ type: 'scram-sha-512', secretArn, encryptionKeyArn, password: 'x' })).toThrow(
      'context sluice:kafka: auth.password is not a SCRAM setting (type, secretArn, encryptionKeyArn)',
    );
    // The construct checks the ARNs themselves.
    expect(bad({ type: 'scram-sha-512', secretArn: 'AmazonMSK_x', encryptionKeyArn })).toThrow(
      "kafka.auth.secretArn must be a Secrets Manager secret's ARN",
    );
  });
});

/**
 * Sources and sinks in the stack (infra/constructs/sluice-sources.ts, the stack's sinks):
 * Kinesis streams existing and created, an MSK cluster in its VPC (IAM, or SCRAM with its
 * secret), sink tables; the same from CDK context (infra/context.ts); and cdk-nag on a
 * stack with all of them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { SINK_TABLE_KEYS } from '../../engine/adapters/aws/table-keys.js';
import { kafkaConnectionFromEnv } from '../../engine/adapters/kafka/kafka-config.js';
import type { SluiceKafkaProps } from '../../infra/constructs/sluice-sources.js';
import { NETWORK_INTERFACE_ACTIONS } from '../../infra/constructs/sluice-function.js';
import { addSluiceStacks } from '../../infra/sluice-app.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { allowed, logicalId, policyStatements, testApp, type Json } from './support.js';

const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/events/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2';
const KAFKA_CONTEXT = {
  bootstrapServers: ['b-1.events.abc123.c2.kafka.eu-west-1.amazonaws.com:9098', 'b-2.events.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'],
  clusterArn: CLUSTER_ARN,
  topics: ['clicks'],
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  privateSubnetRouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
  clusterSecurityGroupId: 'sg-0123456789abcdef0',
};

/** Everything the context can say. */
const FULL_CONTEXT = {
  'sluice:createKinesisStream': 'clickstream',
  'sluice:kinesisShards': '4',
  'sluice:kinesisStreams': 'orders,arn:aws:kinesis:eu-west-1:123456789012:stream/payments',
  'sluice:createSinkTables': 'page-views',
  'sluice:sinkTables': ['legacy-sink'],
  'sluice:kafka': JSON.stringify(KAFKA_CONTEXT),
  'sluice:alarmTopicArn': 'arn:aws:sns:eu-west-1:123456789012:ops',
  'sluice:lagAlarmSeconds': '600',
};

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

describe('Kafka given in code', () => {
  it('uses a VPC and security groups of another stack, creates no endpoints when told the VPC has them, and grants every topic when none is listed', () => {
    const app = testApp();
    const network = new Stack(app, 'Network');
    const vpc = new ec2.Vpc(network, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const clients = new ec2.SecurityGroup(network, 'Clients', { vpc, description: 'Kafka clients' });
    const stack = new SluiceStack(app, 'Sluice', {
      sources: {
        kafka: {
          bootstrapServers: ['b-1.x.kafka.eu-west-1.amazonaws.com:9098'],
          clusterArn: CLUSTER_ARN,
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          securityGroups: [clients],
          createGatewayEndpoints: false,
        },
      },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    expect(stack.sources.kafkaSecurityGroup).toBeNull();
    const props = template.toJSON().Resources[logicalId(stack, stack.driver.functions.execute)].Properties as Json;
    expect(JSON.stringify(props.VpcConfig.SecurityGroupIds)).toContain('"StackName":"Network"');
    const topics = allowed(stack, template, stack.driver.functions.execute.role!).get('kafka-cluster:ReadData');
    expect(topics).toEqual([JSON.stringify('arn:aws:kafka:eu-west-1:123456789012:topic/events/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2/*')]);
  });
});

describe('Kafka with SCRAM, the credentials in Secrets Manager', () => {
  const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_sluice-AbCdEf';
  const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const SCRAM = { type: 'scram-sha-512', secretArn: SECRET_ARN, encryptionKeyArn: KEY_ARN } as const;
  const BROKERS = ['b-1.events.abc123.c2.kafka.eu-west-1.amazonaws.com:9096', 'b-2.events.abc123.c2.kafka.eu-west-1.amazonaws.com:9096'];

  /** A Sluice stack reading Kafka with `kafka` props, on a VPC of another stack. */
  const scramStack = (kafka: Partial<SluiceKafkaProps> = {}) => {
    const app = testApp();
    const network = new Stack(app, 'Network');
    const vpc = new ec2.Vpc(network, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const stack = new SluiceStack(app, 'Sluice', {
      sources: {
        kafka: {
          bootstrapServers: BROKERS,
          auth: SCRAM,
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          createGatewayEndpoints: false,
          ...kafka,
        },
      },
    });
    return { app, stack };
  };

  let stack: SluiceStack;
  let template: Template;

  beforeAll(() => {
    stack = scramStack().stack;
    template = Template.fromStack(stack);
  });

  it("gives the Kafka-reading functions SCRAM-SHA-512 over TLS and the secret's ARN, never a user name or password", () => {
    const resources = template.toJSON().Resources;
    for (const fn of [stack.driver.functions.plan, stack.driver.functions.execute]) {
      const variables = (resources[logicalId(stack, fn)]!.Properties as Json).Environment.Variables as Json;
      expect(variables).toMatchObject({
        SLUICE_KAFKA_BROKERS: BROKERS.join(','),
        SLUICE_KAFKA_AUTH: 'scram-sha-512',
        SLUICE_KAFKA_SECRET_ARN: SECRET_ARN,
        SLUICE_KAFKA_TLS: 'true',
      });
      expect(variables).not.toHaveProperty('SLUICE_KAFKA_USERNAME');
      expect(variables).not.toHaveProperty('SLUICE_KAFKA_PASSWORD');
      // What the functions do with these variables: a connection that names the secret.
      expect(kafkaConnectionFromEnv(variables)).toEqual({
        brokers: BROKERS,
        auth: { type: 'scram-sha-512', secretArn: SECRET_ARN },
        tls: true,
      });
    }
    for (const name of ['startGeneration', 'finish', 'endGeneration', 'supervisor'] as const) {
      expect(JSON.stringify(resources[logicalId(stack, stack.driver.functions[name])]!.Properties), name).not.toContain('SLUICE_KAFKA');
    }
    // The cluster's security group, when given, admits the functions on this port.
    expect(stack.sources.kafka!.port).toBe(9096);
  });

  it('grants those functions GetSecretValue on the secret and kms:Decrypt on its key through Secrets Manager, nothing more', () => {
    for (const fn of [stack.driver.functions.plan, stack.driver.functions.execute]) {
      const statements = policyStatements(stack, template, fn.role!);
      const about = statements.filter((st) => /secretsmanager:|kms:|kafka-cluster:/.test(JSON.stringify(st.Action)));
      expect(about).toEqual([
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRET_ARN },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: KEY_ARN,
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
        },
      ]);
    }
    for (const name of ['startGeneration', 'finish', 'endGeneration', 'supervisor'] as const) {
      const actions = [...allowed(stack, template, stack.driver.functions[name].role!).keys()];
      expect(
        actions.filter((a) => /^(secretsmanager|kms):/.test(a)),
        name,
      ).toEqual([]);
    }
  });

  it('reports nothing unacknowledged in cdk-nag', () => {
    const { app, stack: scram } = scramStack();
    app.synth();
    const findings = new AwsSolutionsChecks()
      .validateScope(scram)
      .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });

  it.each([
    [
      { auth: { ...SCRAM, type: 'scram-sha-256' } },
      'kafka.auth.type must be \'scram-sha-512\' (the only SCRAM mechanism MSK supports), got "scram-sha-256"',
    ],
    [{ auth: { ...SCRAM, secretArn: 'AmazonMSK_sluice' } }, "kafka.auth.secretArn must be a Secrets Manager secret's ARN"],
    [
      { auth: { ...SCRAM, secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sluice-AbCdEf' } },
      'kafka.auth.secretArn must name a secret whose name starts with AmazonMSK_',
    ],
    [
      { auth: { ...SCRAM, secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_sluice' } },
      "kafka.auth.secretArn must be the secret's complete ARN, ending with the 6 characters",
    ],
    [
      { auth: { ...SCRAM, encryptionKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/aws/secretsmanager' } },
      'kafka.auth.encryptionKeyArn must be the ARN of the customer managed KMS key',
    ],
    [
      { auth: { ...SCRAM, encryptionKeyArn: undefined } },
      'kafka.auth.encryptionKeyArn must be the ARN of the customer managed KMS key that encrypts the secret (arn:aws:kms:<region>:<account>:key/<key-id>), got undefined',
    ],
    [
      { auth: { ...SCRAM, encryptionKeyArn: KEY_ARN.replace('eu-west-1', 'us-east-1') } },
      "kafka.auth.encryptionKeyArn must be a key of the secret's region (eu-west-1)",
    ],
    [{ tls: false }, 'kafka.tls must not be false with SCRAM authentication: MSK serves SCRAM on its TLS listener (9096)'],
    [{ auth: 'scram' }, "kafka.auth must be 'iam', 'none' or { type: 'scram-sha-512', secretArn, encryptionKeyArn }, got \"scram\""],
  ])('refuses %j with a clear error', (kafka, message) => {
    expect(() => scramStack(kafka as Partial<SluiceKafkaProps>)).toThrow(message);
  });
});

describe('cdk-nag on a stack with every source, sink and the alarm topic', () => {
  it('reports nothing unacknowledged, and every acknowledgement has its reason', () => {
    // With the CDK's CloudFormation validation too: every kind of resource the stack makes is here.
    const app = testApp({ ...FULL_CONTEXT, 'sluice:kafka': JSON.stringify({ ...KAFKA_CONTEXT, topics: undefined }) }, { validate: true });
    const { stack } = addSluiceStacks(app);
    app.synth();
    const findings = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(stack.sources.kafka!.wildcardResources).toHaveLength(1);
  });
});

describe('npx cdk synth', () => {
  it('synthesizes the app offline, cdk-nag included, with the functions bundled', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sluice-synth-'));
    try {
      // Bundling on, as `npx cdk synth --quiet` does on a fresh clone; no credentials, no network.
      const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', CDK_DISABLE_VERSION_CHECK: 'true' };
      await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', out], { env, timeout: 280_000 });
      const template = JSON.parse(await readFile(join(out, 'Sluice.template.json'), 'utf8')) as { Resources: Record<string, Json> };
      const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
      expect(functions).toHaveLength(10);
      for (const fn of functions) expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
      // One bundle (functions/handlers.ts) for all, each function its own export.
      expect(new Set(functions.map((fn) => fn.Properties.Code.S3Key)).size).toBe(1);
      expect(functions.map((fn) => fn.Properties.Handler)).toEqual(
        expect.arrayContaining(['index.plan', 'index.executeGroups', 'index.apiRead']),
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 300_000);
});

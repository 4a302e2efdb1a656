/**
 * Kafka given to the stack in code (infra/constructs/sluice-sources.ts SluiceKafkaProps):
 * a VPC and security groups of another stack, and SCRAM with its credentials in Secrets
 * Manager: what the Kafka-reading functions get and are granted, cdk-nag on it, and the
 * props it refuses.
 */
import { type App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { kafkaConnectionFromEnv } from '../../engine/adapters/kafka/kafka-config.js';
import type { SluiceKafkaProps } from '../../infra/constructs/sluice-sources.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { CLUSTER_ARN } from '../support/source-context.js';
import { allowed, logicalId, policyStatements, testApp, type Json } from './support.js';

/** Another stack of `app` (Network) with a VPC of isolated subnets in two zones, for the Kafka clients. */
function networkStack(app: App): { readonly network: Stack; readonly vpc: ec2.Vpc } {
  const network = new Stack(app, 'Network');
  const vpc = new ec2.Vpc(network, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  return { network, vpc };
}

describe('Kafka given in code', () => {
  it('uses a VPC and security groups of another stack, creates no endpoints when told the VPC has them, and grants every topic when none is listed', () => {
    const app = testApp();
    const { network, vpc } = networkStack(app);
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
    const { vpc } = networkStack(app);
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

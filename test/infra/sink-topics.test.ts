/**
 * The Kafka topics the jobs write (kafkaSink), from CDK context or props like the sink
 * streams: the executors of both stages run in the cluster's VPC with its connection and,
 * with IAM, may Connect to the cluster and DescribeTopic and WriteData on those topics,
 * nothing else; no other function gets write access; with SCRAM they read the secret.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { addSluiceStacks } from '../../infra/sluice-app.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { CLUSTER_ARN, KAFKA_CONTEXT } from '../support/source-context.js';
import { allowed, logicalId, testApp, type Json } from './support.js';

const TOPIC_PREFIX = 'arn:aws:kafka:eu-west-1:123456789012:topic/events/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2/';
/** The cluster of the full context with one broker and no security group of its own given. */
const { clusterSecurityGroupId: _, ...KAFKA } = { ...KAFKA_CONTEXT, bootstrapServers: [KAFKA_CONTEXT.bootstrapServers[0]!] };

function stackWith(context: Record<string, unknown>, props: ConstructorParameters<typeof SluiceStack>[2] = {}) {
  const stack = new SluiceStack(testApp(context), 'Sluice', props);
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources as Record<string, Json> };
}

const FUNCTIONS = ['startGeneration', 'plan', 'execute', 'route', 'executeGroups', 'finish', 'endGeneration', 'supervisor'] as const;

describe('sink topics (kafkaSink)', () => {
  it.each([
    ['context', { 'sluice:kafka': JSON.stringify(KAFKA), 'sluice:sinkTopics': 'page-counts, orders.v2' }, {}],
    ['context as a JSON list', { 'sluice:kafka': JSON.stringify(KAFKA), 'sluice:sinkTopics': ['page-counts', 'orders.v2'] }, {}],
    ['props', { 'sluice:kafka': JSON.stringify(KAFKA) }, { sinks: { topics: ['page-counts', 'orders.v2'] } }],
  ])('from %s: both stages may DescribeTopic and WriteData on each topic; no other function may write', (_, context, props) => {
    const { stack, template, resources } = stackWith(context, props);
    const written = ['page-counts', 'orders.v2'].map((t) => JSON.stringify(`${TOPIC_PREFIX}${t}`)).sort();
    for (const name of FUNCTIONS) {
      const fn = stack.driver.functions[name];
      const actions = allowed(stack, template, fn.role!);
      const writes = name === 'execute' || name === 'executeGroups';
      expect([...(actions.get('kafka-cluster:WriteData') ?? [])].sort(), name).toEqual(writes ? written : []);
      if (writes) {
        expect(actions.get('kafka-cluster:DescribeTopic'), name).toEqual(expect.arrayContaining(written));
        expect(actions.get('kafka-cluster:Connect'), name).toEqual([JSON.stringify(CLUSTER_ARN)]);
        const fnProps = resources[logicalId(stack, fn)]!.Properties as Json;
        expect(fnProps.VpcConfig.SubnetIds, name).toEqual(KAFKA.privateSubnetIds);
        expect(fnProps.Environment.Variables, name).toMatchObject({
          SLUICE_KAFKA_BROKERS: KAFKA.bootstrapServers[0],
          SLUICE_KAFKA_AUTH: 'iam',
        });
      }
      // The sink topics are not readable by anyone: reading stays on the source topics.
      expect((actions.get('kafka-cluster:ReadData') ?? []).join(' '), name).not.toMatch(/page-counts|orders\.v2/);
      // No idempotent or transactional write is granted: the sink uses neither.
      expect(
        [...actions.keys()].filter((a) => /Idempotent|Transactional/.test(a)),
        name,
      ).toEqual([]);
    }
    // Stage 2 writes only: it is not granted the source topics.
    expect(allowed(stack, template, stack.driver.functions.executeGroups.role!).get('kafka-cluster:ReadData')).toBeUndefined();
  });

  it('without sink topics, stage 2 stays out of the VPC and has no Kafka grant', () => {
    const { stack, template, resources } = stackWith({ 'sluice:kafka': JSON.stringify(KAFKA) });
    const fn = stack.driver.functions.executeGroups;
    expect(resources[logicalId(stack, fn)]!.Properties).not.toHaveProperty('VpcConfig');
    expect([...allowed(stack, template, fn.role!).keys()].filter((a) => a.startsWith('kafka-cluster:'))).toEqual([]);
  });

  it('with SCRAM, the writers read the secret and are given no kafka-cluster actions', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_sluice-AbCdEf';
    const encryptionKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-1111-2222-333344445555';
    const scram = { ...KAFKA, bootstrapServers: ['b-1.events:9096'], auth: { type: 'scram-sha-512', secretArn, encryptionKeyArn } };
    const { stack, template } = stackWith({ 'sluice:kafka': JSON.stringify(scram), 'sluice:sinkTopics': 'out' });
    const actions = allowed(stack, template, stack.driver.functions.executeGroups.role!);
    expect(actions.get('secretsmanager:GetSecretValue')).toEqual([JSON.stringify(secretArn)]);
    expect([...actions.keys()].filter((a) => a.startsWith('kafka-cluster:'))).toEqual([]);
  });

  it('refuses sink topics without a Kafka cluster, and a topic name Kafka would refuse', () => {
    expect(() => stackWith({ 'sluice:sinkTopics': 'out' })).toThrow(/sinks.topics \(out\) needs the Kafka cluster/);
    expect(() => stackWith({ 'sluice:kafka': JSON.stringify(KAFKA), 'sluice:sinkTopics': 'bad name' })).toThrow(
      /a Kafka topic name is 1 to 249/,
    );
  });

  it('reports nothing unacknowledged in cdk-nag with sink topics (stage 2 in the VPC)', () => {
    const app = testApp({ 'sluice:kafka': JSON.stringify(KAFKA), 'sluice:sinkTopics': 'page-counts' });
    addSluiceStacks(app);
    app.synth();
    const findings = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});

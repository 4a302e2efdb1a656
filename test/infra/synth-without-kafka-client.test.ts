/**
 * CDK synthesis does not load the Kafka client: the stack needs only the names of the
 * Kafka variables (engine/adapters/kafka/kafka-env.ts), not kafka-config.ts and the
 * kafkajs it imports. kafkajs is a CommonJS package, so once anything imports it, it is
 * in Node's require cache; this file runs in a process of its own (vitest's forks pool),
 * so nothing else has loaded it first.
 */
import { createRequire } from 'node:module';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { testApp } from './support.js';

const require = createRequire(import.meta.url);
const loaded = (name: string) => Object.keys(require.cache).some((path) => path.includes(`/node_modules/${name}/`));

describe('CDK synthesis', () => {
  it('synthesizes a stack that reads an MSK cluster without loading kafkajs', async () => {
    const { SluiceStack } = await import('../../infra/stacks/sluice-stack.js');
    const stack = new SluiceStack(
      testApp({
        'sluice:kafka': JSON.stringify({
          bootstrapServers: ['b-1.events.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'],
          clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/events/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2',
          vpcId: 'vpc-0123456789abcdef0',
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
          privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
          privateSubnetRouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
          clusterSecurityGroupId: 'sg-0123456789abcdef0',
        }),
      }),
      'Sluice',
    );
    // The plan and execute functions get the Kafka variables: the stack did use their names.
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain('"SLUICE_KAFKA_BROKERS"');
    expect(loaded('kafkajs')).toBe(false);
    expect(loaded('aws-msk-iam-sasl-signer-js')).toBe(false);
  });

  it('would see kafkajs if it were loaded (the check above can fail)', async () => {
    await import('../../engine/adapters/kafka/kafka-config.js');
    expect(loaded('kafkajs')).toBe(true);
  });
});

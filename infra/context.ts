/**
 * The stack's settings from CDK context, so a deployment is configured without code:
 * `npx cdk deploy -c sluice:createKinesisStream=clickstream -c sluice:createSinkTables=page-views`,
 * or the same keys in cdk.json's "context" (there, lists may be JSON arrays and
 * sluice:kafka an object). Every key is optional; a bad value fails synthesis with the
 * key named.
 *
 *   sluice:stackName               the stack's name (default Sluice)
 *   sluice:kinesisStreams          existing streams the jobs read: names or ARNs, comma-separated
 *   sluice:createKinesisStream     a stream to create, by name
 *   sluice:kinesisShards           its shard count (default: on-demand)
 *   sluice:sinkTables              existing DynamoDB sink tables, comma-separated
 *   sluice:createSinkTables        sink tables to create, comma-separated
 *   sluice:kafka                   JSON: { bootstrapServers, auth?: "iam"|"none"|{ type: "scram-sha-512",
 *                                  secretArn, encryptionKeyArn }, tls?, clusterArn?, topics?,
 *                                  vpcId, availabilityZones, privateSubnetIds, privateSubnetRouteTableIds?,
 *                                  securityGroupIds?, clusterSecurityGroupId?, createGatewayEndpoints? }
 *   sluice:alarmTopicArn           an SNS topic for the alarms
 *   sluice:batchDurationAlarmSeconds, sluice:lagAlarmSeconds, sluice:restartsPerHourAlarm   thresholds
 *   sluice:removalPolicy           retain (default) or destroy: what happens to the tables, buckets and the
 *                                  created stream when the stack is deleted (destroy: throwaway dev stacks only)
 */
import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { SluiceKafkaProps, SluiceKafkaScramAuth } from './constructs/sluice-sources.js';
import type { SluiceStackProps } from './stacks/sluice-stack.js';

export const CONTEXT = {
  stackName: 'sluice:stackName',
  kinesisStreams: 'sluice:kinesisStreams',
  createKinesisStream: 'sluice:createKinesisStream',
  kinesisShards: 'sluice:kinesisShards',
  sinkTables: 'sluice:sinkTables',
  createSinkTables: 'sluice:createSinkTables',
  kafka: 'sluice:kafka',
  alarmTopicArn: 'sluice:alarmTopicArn',
  batchDurationAlarmSeconds: 'sluice:batchDurationAlarmSeconds',
  lagAlarmSeconds: 'sluice:lagAlarmSeconds',
  restartsPerHourAlarm: 'sluice:restartsPerHourAlarm',
  removalPolicy: 'sluice:removalPolicy',
} as const;

interface KafkaContext {
  readonly bootstrapServers: string[];
  readonly auth?: 'iam' | 'none' | SluiceKafkaScramAuth;
  readonly tls?: boolean;
  readonly clusterArn?: string;
  readonly topics?: string[];
  readonly vpcId: string;
  readonly availabilityZones: string[];
  readonly privateSubnetIds: string[];
  readonly privateSubnetRouteTableIds?: string[];
  readonly securityGroupIds?: string[];
  readonly clusterSecurityGroupId?: string;
  readonly createGatewayEndpoints?: boolean;
}

/**
 * The stack props the context gives (the stack reads them: the imported VPC, security
 * groups and alarm topic need it as their scope). Props given in code take precedence.
 */
export function stackPropsFromContext(stack: Stack): Pick<SluiceStackProps, 'storage' | 'sources' | 'sinks' | 'monitoring'> {
  const node = stack.node;
  const list = (key: string): string[] | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
    throw new Error(`context ${key} must be a comma-separated string or a list of strings, got ${JSON.stringify(value)}`);
  };
  const text = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
    return value;
  };
  const positive = (key: string): number | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === '') return undefined;
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`context ${key} must be a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };

  const streams = list(CONTEXT.kinesisStreams);
  const create = text(CONTEXT.createKinesisStream);
  const shards = positive(CONTEXT.kinesisShards);
  if (shards !== undefined && create === undefined) throw new Error(`context ${CONTEXT.kinesisShards} goes with ${CONTEXT.createKinesisStream}`);
  const kinesis = streams || create ? { ...(streams ? { streams } : {}), ...(create ? { createStream: { streamName: create, ...(shards ? { shardCount: shards } : {}) } } : {}) } : undefined;
  const kafkaContext = kafkaFromContext(node.tryGetContext(CONTEXT.kafka));
  const kafka = kafkaContext === null ? undefined : kafkaProps(stack, kafkaContext);
  const tables = list(CONTEXT.sinkTables);
  const createTables = list(CONTEXT.createSinkTables);
  const topicArn = text(CONTEXT.alarmTopicArn);
  const batchSeconds = positive(CONTEXT.batchDurationAlarmSeconds);
  const lagSeconds = positive(CONTEXT.lagAlarmSeconds);
  const restarts = positive(CONTEXT.restartsPerHourAlarm);
  const removal = text(CONTEXT.removalPolicy);
  if (removal !== undefined && removal !== 'retain' && removal !== 'destroy') throw new Error(`context ${CONTEXT.removalPolicy} must be retain or destroy, got ${JSON.stringify(removal)}`);
  return {
    ...(removal === undefined ? {} : { storage: { removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN } }),
    ...(kinesis || kafka ? { sources: { ...(kinesis ? { kinesis } : {}), ...(kafka ? { kafka } : {}) } } : {}),
    ...(tables || createTables ? { sinks: { ...(tables ? { tables } : {}), ...(createTables ? { createTables } : {}) } } : {}),
    ...(topicArn || batchSeconds || lagSeconds || restarts
      ? {
          monitoring: {
            ...(topicArn ? { alarmTopic: sns.Topic.fromTopicArn(stack, 'AlarmTopic', topicArn) } : {}),
            ...(batchSeconds ? { batchDurationThreshold: Duration.seconds(batchSeconds) } : {}),
            ...(lagSeconds ? { lagThreshold: Duration.seconds(lagSeconds) } : {}),
            ...(restarts ? { restartsPerHour: restarts } : {}),
          },
        }
      : {}),
  };
}

function kafkaProps(stack: Stack, k: KafkaContext): SluiceKafkaProps {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'KafkaVpc', {
    vpcId: k.vpcId,
    availabilityZones: k.availabilityZones,
    privateSubnetIds: k.privateSubnetIds,
    ...(k.privateSubnetRouteTableIds ? { privateSubnetRouteTableIds: k.privateSubnetRouteTableIds } : {}),
  });
  return {
    bootstrapServers: k.bootstrapServers,
    ...(k.auth ? { auth: k.auth } : {}),
    ...(k.tls === undefined ? {} : { tls: k.tls }),
    ...(k.clusterArn ? { clusterArn: k.clusterArn } : {}),
    ...(k.topics ? { topics: k.topics } : {}),
    vpc,
    ...(k.securityGroupIds ? { securityGroups: k.securityGroupIds.map((id, i) => ec2.SecurityGroup.fromSecurityGroupId(stack, `KafkaClientGroup${i}`, id)) } : {}),
    ...(k.clusterSecurityGroupId ? { clusterSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'KafkaClusterGroup', k.clusterSecurityGroupId) } : {}),
    createGatewayEndpoints: k.createGatewayEndpoints ?? k.privateSubnetRouteTableIds !== undefined,
  };
}

function kafkaFromContext(value: unknown): KafkaContext | null {
  if (value === undefined || value === '') return null;
  let k: unknown = value;
  if (typeof value === 'string') {
    try {
      k = JSON.parse(value);
    } catch (error) {
      throw new Error(`context ${CONTEXT.kafka} must be JSON: ${String(error)}`);
    }
  }
  const bad = (field: string, expected: string) => new Error(`context ${CONTEXT.kafka}: ${field} must be ${expected}`);
  if (typeof k !== 'object' || k === null || Array.isArray(k)) throw bad('the value', 'a JSON object');
  const o = k as Record<string, unknown>;
  const known = ['bootstrapServers', 'auth', 'tls', 'clusterArn', 'topics', 'vpcId', 'availabilityZones', 'privateSubnetIds', 'privateSubnetRouteTableIds', 'securityGroupIds', 'clusterSecurityGroupId', 'createGatewayEndpoints'];
  for (const key of Object.keys(o)) if (!known.includes(key)) throw bad(key, `one of the known fields (${known.join(', ')}); it`);
  const strings = (field: string, required: boolean): string[] | undefined => {
    const v = o[field];
    if (v === undefined && !required) return undefined;
    const arr = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
    if (!Array.isArray(arr) || arr.length === 0 || !arr.every((s) => typeof s === 'string' && s !== '')) throw bad(field, 'a non-empty list of strings');
    return arr as string[];
  };
  const str = (field: string, required: boolean): string | undefined => {
    const v = o[field];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') throw bad(field, 'a non-empty string');
    return v;
  };
  const bool = (field: string): boolean | undefined => {
    const v = o[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw bad(field, 'true or false');
    return v;
  };
  const auth = authOf(o['auth'], bad);
  const optional = <T>(name: string, value: T | undefined) => (value === undefined ? {} : { [name]: value });
  return {
    bootstrapServers: strings('bootstrapServers', true)!,
    ...optional('auth', auth),
    ...optional('tls', bool('tls')),
    ...optional('clusterArn', str('clusterArn', false)),
    ...optional('topics', strings('topics', false)),
    vpcId: str('vpcId', true)!,
    availabilityZones: strings('availabilityZones', true)!,
    privateSubnetIds: strings('privateSubnetIds', true)!,
    ...optional('privateSubnetRouteTableIds', strings('privateSubnetRouteTableIds', false)),
    ...optional('securityGroupIds', strings('securityGroupIds', false)),
    ...optional('clusterSecurityGroupId', str('clusterSecurityGroupId', false)),
    ...optional('createGatewayEndpoints', bool('createGatewayEndpoints')),
  } as KafkaContext;
}

/** "iam", "none", or SCRAM from a Secrets Manager secret (the construct checks the ARNs). */
function authOf(value: unknown, bad: (field: string, expected: string) => Error): KafkaContext['auth'] {
  if (value === undefined || value === 'iam' || value === 'none') return value;
  const scram = '"iam", "none" or { "type": "scram-sha-512", "secretArn": ..., "encryptionKeyArn": ... }';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('auth', scram);
  const a = value as Record<string, unknown>;
  for (const key of Object.keys(a)) {
    if (!['type', 'secretArn', 'encryptionKeyArn'].includes(key)) {
      throw new Error(`context ${CONTEXT.kafka}: auth.${key} is not a SCRAM setting (type, secretArn, encryptionKeyArn)`);
    }
  }
  if (a['type'] !== 'scram-sha-512') throw bad('auth.type', '"scram-sha-512" (the only SCRAM mechanism MSK offers)');
  for (const field of ['secretArn', 'encryptionKeyArn']) {
    if (typeof a[field] !== 'string' || a[field] === '') throw bad(`auth.${field}`, 'a non-empty string');
  }
  return { type: 'scram-sha-512', secretArn: a['secretArn'] as string, encryptionKeyArn: a['encryptionKeyArn'] as string };
}

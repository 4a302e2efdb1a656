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
 *   sluice:lateRecordTables        existing tables for the jobs' late records (JobSpec.lateRecords), comma-separated
 *   sluice:createLateRecordTables  late-records tables to create, comma-separated
 *   sluice:sinkStreams             existing Kinesis streams the jobs write (kinesisSink): names or ARNs, comma-separated
 *   sluice:sinkFiles               the jobs' file sinks (s3FileSink): prefixes in the checkpoint bucket or
 *                                  s3://bucket/prefix, comma-separated
 *   sluice:sinkTopics              Kafka topics the jobs write (kafkaSink), on the sluice:kafka cluster, comma-separated
 *   sluice:lookupTables            existing DynamoDB tables the jobs' lookup stages read, comma-separated
 *   sluice:kafka                   JSON: { bootstrapServers, auth?: "iam"|"none"|{ type: "scram-sha-512",
 *                                  secretArn, encryptionKeyArn }, tls?, clusterArn?, topics?,
 *                                  vpcId, availabilityZones, privateSubnetIds, privateSubnetRouteTableIds?,
 *                                  securityGroupIds?, clusterSecurityGroupId?, createGatewayEndpoints? }
 *   sluice:jobParameters           JSON: { "<job>": [{ ...parameters }, ...] }, the parameter sets this deployment
 *                                  starts each catalog job with; the stack grants what those instances read
 *                                  and write (default: each job with its default parameters; [] for a job it
 *                                  does not run; infra/catalog-grants.ts)
 *   sluice:alarmTopicArn           an SNS topic for the alarms
 *   sluice:batchDurationAlarmSeconds, sluice:lagAlarmSeconds, sluice:restartsPerHourAlarm   thresholds
 *   sluice:removalPolicy           retain (default) or destroy: what happens to the tables, buckets and the
 *                                  created stream when the stack is deleted (destroy: throwaway dev stacks only)
 */
import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { z } from 'zod';
import { ConfigurationError } from '../engine/errors.js';
import { expecting, parse, type ParseOptions } from '../engine/validation.js';
import { JOB_PARAMETERS_CONTEXT, type DeployedParameters } from './catalog-grants.js';
import type { SluiceKafkaProps } from './constructs/sluice-sources.js';
import type { SluiceStackProps } from './stacks/sluice-stack-props.js';

export const CONTEXT = {
  stackName: 'sluice:stackName',
  kinesisStreams: 'sluice:kinesisStreams',
  createKinesisStream: 'sluice:createKinesisStream',
  kinesisShards: 'sluice:kinesisShards',
  sinkTables: 'sluice:sinkTables',
  createSinkTables: 'sluice:createSinkTables',
  lateRecordTables: 'sluice:lateRecordTables',
  createLateRecordTables: 'sluice:createLateRecordTables',
  sinkStreams: 'sluice:sinkStreams',
  sinkTopics: 'sluice:sinkTopics',
  lookupTables: 'sluice:lookupTables',
  sinkFiles: 'sluice:sinkFiles',
  kafka: 'sluice:kafka',
  jobParameters: JOB_PARAMETERS_CONTEXT,
  alarmTopicArn: 'sluice:alarmTopicArn',
  batchDurationAlarmSeconds: 'sluice:batchDurationAlarmSeconds',
  lagAlarmSeconds: 'sluice:lagAlarmSeconds',
  restartsPerHourAlarm: 'sluice:restartsPerHourAlarm',
  removalPolicy: 'sluice:removalPolicy',
} as const;

/** Problems read "context sluice:kinesisShards must be a positive integer, got "many"" and fail synthesis. */
const CONTEXT_KEYS: ParseOptions = { name: 'context', describe: (p) => `context ${p.field} ${p.message}`, error: ConfigurationError };

/** Context given empty on the command line (`-c sluice:sinkTables=`) is unset. */
function optional<S extends z.ZodType>(schema: S) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}

/** A list: comma-separated on the command line, a JSON array in cdk.json. */
const list = optional(
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : value,
    expecting('a comma-separated string or a list of strings', z.array(z.string())),
  ),
);

const text = optional(z.string());

/** A number: text on the command line, a number in cdk.json. */
const positive = optional(
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value),
    expecting('a positive integer', z.number().int().min(1)),
  ),
);

const ContextSettings = z
  .object({
    [CONTEXT.kinesisStreams]: list,
    [CONTEXT.createKinesisStream]: text,
    [CONTEXT.kinesisShards]: positive,
    [CONTEXT.sinkTables]: list,
    [CONTEXT.createSinkTables]: list,
    [CONTEXT.lateRecordTables]: list,
    [CONTEXT.createLateRecordTables]: list,
    [CONTEXT.sinkStreams]: list,
    [CONTEXT.sinkTopics]: list,
    [CONTEXT.lookupTables]: list,
    [CONTEXT.sinkFiles]: list,
    [CONTEXT.alarmTopicArn]: text,
    [CONTEXT.batchDurationAlarmSeconds]: positive,
    [CONTEXT.lagAlarmSeconds]: positive,
    [CONTEXT.restartsPerHourAlarm]: positive,
    [CONTEXT.removalPolicy]: optional(expecting('retain or destroy', z.enum(['retain', 'destroy']))),
  })
  .superRefine((c, ctx) => {
    if (c[CONTEXT.kinesisShards] !== undefined && c[CONTEXT.createKinesisStream] === undefined) {
      ctx.addIssue({ code: 'custom', path: [CONTEXT.kinesisShards], message: `goes with ${CONTEXT.createKinesisStream}` });
    }
  });

/** Problems read "context sluice:kafka: auth.type must be ...". */
const KAFKA_CONTEXT: ParseOptions = { name: 'the value', prefix: `context ${CONTEXT.kafka}: `, error: ConfigurationError };

const nonEmpty = () => expecting('a non-empty string', z.string().min(1));
const strings = () =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value),
    expecting('a non-empty list of strings', z.array(nonEmpty()).min(1)),
  );

/** "iam", "none", or SCRAM from a Secrets Manager secret (the construct checks the ARNs). */
const kafkaAuth = expecting(
  '"iam", "none" or { "type": "scram-sha-512", "secretArn": ..., "encryptionKeyArn": ... }',
  z.union([
    z.enum(['iam', 'none']),
    z.strictObject(
      {
        type: expecting('"scram-sha-512" (the only SCRAM mechanism MSK offers)', z.literal('scram-sha-512')),
        secretArn: nonEmpty(),
        encryptionKeyArn: nonEmpty(),
      },
      { error: (issue) => (issue.code === 'unrecognized_keys' ? 'is not a SCRAM setting (type, secretArn, encryptionKeyArn)' : undefined) },
    ),
  ]),
);

const KAFKA_FIELDS = {
  bootstrapServers: strings(),
  auth: kafkaAuth.optional(),
  tls: z.boolean().optional(),
  clusterArn: nonEmpty().optional(),
  topics: strings().optional(),
  vpcId: nonEmpty(),
  availabilityZones: strings(),
  privateSubnetIds: strings(),
  privateSubnetRouteTableIds: strings().optional(),
  securityGroupIds: strings().optional(),
  clusterSecurityGroupId: nonEmpty().optional(),
  createGatewayEndpoints: z.boolean().optional(),
};

const KafkaContext = expecting(
  'a JSON object',
  z.strictObject(KAFKA_FIELDS, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `must be one of the known fields (${Object.keys(KAFKA_FIELDS).join(', ')})` : undefined,
  }),
);

type KafkaContext = z.output<typeof KafkaContext>;

/**
 * The stack props the context gives (the stack reads them: the imported VPC, security
 * groups and alarm topic need it as their scope). Props given in code take precedence.
 */
export function stackPropsFromContext(
  stack: Stack,
): Pick<SluiceStackProps, 'storage' | 'sources' | 'sinks' | 'lookups' | 'monitoring' | 'jobParameters'> {
  const node = stack.node;
  const given = Object.fromEntries(Object.values(CONTEXT).map((key) => [key, node.tryGetContext(key) as unknown]));
  const c = parse(ContextSettings, given, CONTEXT_KEYS);
  const streams = c[CONTEXT.kinesisStreams];
  const create = c[CONTEXT.createKinesisStream];
  const shards = c[CONTEXT.kinesisShards];
  const kinesis =
    streams || create
      ? {
          ...(streams ? { streams } : {}),
          ...(create ? { createStream: { streamName: create, ...(shards ? { shardCount: shards } : {}) } } : {}),
        }
      : undefined;
  const kafkaContext = kafkaFromContext(node.tryGetContext(CONTEXT.kafka));
  const kafka = kafkaContext === null ? undefined : kafkaProps(stack, kafkaContext);
  const tables = c[CONTEXT.sinkTables];
  const createTables = c[CONTEXT.createSinkTables];
  const lateRecordTables = c[CONTEXT.lateRecordTables];
  const createLateRecordTables = c[CONTEXT.createLateRecordTables];
  const sinkStreams = c[CONTEXT.sinkStreams];
  const files = c[CONTEXT.sinkFiles];
  const sinkTopics = c[CONTEXT.sinkTopics];
  const sinks = {
    ...(tables ? { tables } : {}),
    ...(createTables ? { createTables } : {}),
    ...(lateRecordTables ? { lateRecordTables } : {}),
    ...(createLateRecordTables ? { createLateRecordTables } : {}),
    ...(sinkStreams ? { streams: sinkStreams } : {}),
    ...(files ? { files } : {}),
    ...(sinkTopics ? { topics: sinkTopics } : {}),
  };
  const lookupTables = c[CONTEXT.lookupTables];
  const topicArn = c[CONTEXT.alarmTopicArn];
  const batchSeconds = c[CONTEXT.batchDurationAlarmSeconds];
  const lagSeconds = c[CONTEXT.lagAlarmSeconds];
  const restarts = c[CONTEXT.restartsPerHourAlarm];
  const removal = c[CONTEXT.removalPolicy];
  const jobParameters = jobParametersFromContext(node.tryGetContext(CONTEXT.jobParameters));
  return {
    ...(jobParameters === undefined ? {} : { jobParameters }),
    ...(removal === undefined ? {} : { storage: { removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN } }),
    ...(kinesis || kafka ? { sources: { ...(kinesis ? { kinesis } : {}), ...(kafka ? { kafka } : {}) } } : {}),
    ...(Object.keys(sinks).length > 0 ? { sinks } : {}),
    ...(lookupTables ? { lookups: { tables: lookupTables } } : {}),
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
    ...(k.securityGroupIds
      ? { securityGroups: k.securityGroupIds.map((id, i) => ec2.SecurityGroup.fromSecurityGroupId(stack, `KafkaClientGroup${i}`, id)) }
      : {}),
    ...(k.clusterSecurityGroupId
      ? { clusterSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'KafkaClusterGroup', k.clusterSecurityGroupId) }
      : {}),
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
      throw new ConfigurationError(`context ${CONTEXT.kafka} must be JSON: ${String(error)}`);
    }
  }
  return parse(KafkaContext, k, KAFKA_CONTEXT);
}

/** Problems read "context sluice:jobParameters: page-views[0] must be an object of parameters, got 3". */
const JOB_PARAMETERS: ParseOptions = { name: 'the value', prefix: `context ${CONTEXT.jobParameters}: `, error: ConfigurationError };

const JobParametersContext = expecting(
  'a JSON object of job names, each with a list of parameter objects',
  z.record(
    z.string(),
    expecting(
      'a list of parameter objects ([] when the deployment does not run the job)',
      z.array(expecting('an object of parameters', z.record(z.string(), z.unknown()))),
    ),
  ),
);

function jobParametersFromContext(value: unknown): DeployedParameters | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new ConfigurationError(`context ${CONTEXT.jobParameters} must be JSON: ${String(error)}`);
    }
  }
  return parse(JobParametersContext, parsed, JOB_PARAMETERS) as DeployedParameters;
}

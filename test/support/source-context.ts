/**
 * The CDK context of a stack with every kind of source and sink (infra/context.ts): an MSK
 * cluster in its VPC read with IAM, Kinesis streams existing and created, sink tables,
 * the alarm topic. For the tests of the stack built from context, and of the whole app.
 */
export const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/events/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2';
/** sluice:kafka: the cluster's IAM listener (9098), one topic, its VPC given by ids. */
export const KAFKA_CONTEXT = {
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
export const FULL_CONTEXT = {
  'sluice:createKinesisStream': 'clickstream',
  'sluice:kinesisShards': '4',
  'sluice:kinesisStreams': 'orders,arn:aws:kinesis:eu-west-1:123456789012:stream/payments',
  'sluice:createSinkTables': 'page-views',
  'sluice:sinkTables': ['legacy-sink'],
  'sluice:kafka': JSON.stringify(KAFKA_CONTEXT),
  'sluice:alarmTopicArn': 'arn:aws:sns:eu-west-1:123456789012:ops',
  'sluice:lagAlarmSeconds': '600',
};

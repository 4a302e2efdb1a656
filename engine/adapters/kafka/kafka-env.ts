/**
 * The environment variables a Lambda reads its Kafka connection from
 * (kafkaConnectionFromEnv in kafka-config.ts), and that the CDK stack sets on the
 * functions that read Kafka (infra/constructs/sluice-sources.ts).
 *
 * No imports: CDK loads this module for the names, and must not load the Kafka client
 * with it (kafka-config.ts imports kafkajs). kafka-config.ts reads its variables by these names.
 */
export const KAFKA_ENV = {
  brokers: 'SLUICE_KAFKA_BROKERS',
  auth: 'SLUICE_KAFKA_AUTH',
  secretArn: 'SLUICE_KAFKA_SECRET_ARN',
  username: 'SLUICE_KAFKA_USERNAME',
  password: 'SLUICE_KAFKA_PASSWORD',
  tls: 'SLUICE_KAFKA_TLS',
  clientId: 'SLUICE_KAFKA_CLIENT_ID',
  region: 'AWS_REGION',
} as const;

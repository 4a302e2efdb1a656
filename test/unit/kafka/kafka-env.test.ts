/**
 * The names of the Kafka variables exist twice: in kafka-env.ts, which CDK loads without
 * the Kafka client, and in kafka-config.ts, which reads them. They must not drift apart.
 */
import { describe, expect, it } from 'vitest';
import { KAFKA_ENV as READ } from '../../../engine/adapters/kafka/kafka-config.js';
import { KAFKA_ENV as SET } from '../../../engine/adapters/kafka/kafka-env.js';

describe('the Kafka environment variables', () => {
  it('are the same names where the stack sets them and where the functions read them', () => {
    expect(SET).toEqual(READ);
  });
});

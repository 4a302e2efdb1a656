/**
 * The Kafka reader reaches inside kafkajs (engine/adapters/kafka/kafkajs-internals.ts),
 * so it is written against one kafkajs version: these tests fail, saying what to do,
 * when another one is installed or pinned, and check offline that the internals it uses
 * are still where it looks for them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { internalCluster, KAFKAJS_VERSION } from '../../../engine/adapters/kafka/kafkajs-internals.js';

const require = createRequire(import.meta.url);
const installed = (JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as { version: string }).version;
const pinned = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
).dependencies.kafkajs;

const WHAT_TO_DO =
  'engine/adapters/kafka/kafkajs-internals.ts uses kafkajs internals; read its header, check each one against the new ' +
  'version, run test/contract/kafka-source-reader.test.ts, then update KAFKAJS_VERSION and the pin in package.json';

describe('the kafkajs the Kafka reader is written against', () => {
  it('is the version installed', () => {
    expect(installed, `kafkajs ${installed} is installed, the Kafka reader is written against ${KAFKAJS_VERSION}: ${WHAT_TO_DO}`).toBe(
      KAFKAJS_VERSION,
    );
  });

  it('is the version package.json pins, exactly', () => {
    expect(
      pinned,
      `package.json asks for kafkajs "${pinned}", the Kafka reader is written against exactly ${KAFKAJS_VERSION}: ${WHAT_TO_DO}`,
    ).toBe(KAFKAJS_VERSION);
  });

  it('still has the internal cluster the reader fetches through (nothing connects)', () => {
    const kafka = new kafkajs.Kafka({ clientId: 'sluice-test', brokers: ['127.0.0.1:9'], logLevel: kafkajs.logLevel.NOTHING });
    const cluster = internalCluster(kafka);
    expect(typeof cluster.findBroker).toBe('function');
  });

  it('says which version it needs when the internals are missing', () => {
    expect(() => internalCluster({} as never)).toThrow(`the Kafka reader is written against kafkajs ${KAFKAJS_VERSION}`);
  });
});

/**
 * The jobs API's contexts on Lambda (functions/environment.ts): the engine's own tables the
 * control function's start refuses, and every variable each function needs, a missing one
 * named in the error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ENV } from '../../../functions/env.js';
import { controlApiDependencies, readApiDependencies } from '../../../functions/environment.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

/** What the stack sets on both API functions (infra/constructs/sluice-api.ts). */
const DEPLOYED = {
  [ENV.walTable]: 'stack-wal',
  [ENV.deadLetterTable]: 'stack-dead-letters',
  [ENV.checkpointBucket]: 'stack-checkpoints',
  [ENV.driverStateMachineArn]: 'arn:aws:states:eu-west-1:123456789012:stateMachine:stack-driver',
  AWS_REGION: 'eu-west-1',
};

function withEnvironment(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries({ ...DEPLOYED, ...env })) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

describe('the control function’s job targets', () => {
  it('refuse the WAL table and the dead-letter table, and no other', () => {
    withEnvironment({});
    const { targets } = controlApiDependencies().api();
    expect(targets.engineUse({ type: 'dynamodb-table', name: 'stack-wal', role: 'sink' })).toBe('the write-ahead log and job registry');
    expect(targets.engineUse({ type: 'dynamodb-table', name: 'stack-dead-letters', role: 'lookup' })).toBe('the dead letters');
    expect(targets.engineUse({ type: 'dynamodb-table', name: 'order-totals', role: 'sink' })).toBeNull();
  });
});

describe('a missing variable', () => {
  it.each([ENV.walTable, ENV.deadLetterTable, ENV.checkpointBucket, ENV.driverStateMachineArn])(
    'fails the control function naming %s',
    (name) => {
      withEnvironment({ [name]: undefined });
      expect(() => controlApiDependencies().api()).toThrow(`environment variable ${name} is not set`);
    },
  );

  it.each([ENV.walTable, ENV.deadLetterTable, ENV.checkpointBucket, ENV.driverStateMachineArn])(
    'fails the read function naming %s',
    (name) => {
      withEnvironment({ [name]: '' });
      expect(() => readApiDependencies().api()).toThrow(`environment variable ${name} is not set`);
    },
  );

  it('is none when the stack sets them all: both functions build their context', () => {
    withEnvironment({});
    expect(readApiDependencies().api().deadLetters).toBeDefined();
    expect(controlApiDependencies().api().state).toBeDefined();
  });
});

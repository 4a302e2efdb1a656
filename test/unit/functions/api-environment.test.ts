/** The control function's context on Lambda (functions/environment.ts): the engine's own tables its start refuses. */
import { afterEach, describe, expect, it } from 'vitest';
import { ENV } from '../../../functions/env.js';
import { controlApiDependencies } from '../../../functions/environment.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function control(env: Record<string, string>) {
  Object.assign(process.env, {
    [ENV.walTable]: 'stack-wal',
    [ENV.checkpointBucket]: 'stack-checkpoints',
    [ENV.driverStateMachineArn]: 'arn:aws:states:eu-west-1:123456789012:stateMachine:stack-driver',
    AWS_REGION: 'eu-west-1',
    ...env,
  });
  return controlApiDependencies().api();
}

describe('the control function’s job targets', () => {
  it('refuse the WAL table and, when its variable is set, the dead-letter table', () => {
    const { targets } = control({ [ENV.deadLetterTable]: 'stack-dead-letters' });
    expect(targets.engineUse({ type: 'dynamodb-table', name: 'stack-wal', role: 'sink' })).toBe('the write-ahead log and job registry');
    expect(targets.engineUse({ type: 'dynamodb-table', name: 'stack-dead-letters', role: 'sink' })).toBe('the dead letters');
    expect(targets.engineUse({ type: 'dynamodb-table', name: 'order-totals', role: 'sink' })).toBeNull();
  });

  it('refuse the WAL table alone when the dead-letter table is not named', () => {
    delete process.env[ENV.deadLetterTable];
    const { targets } = control({});
    expect(targets.engineUse({ type: 'dynamodb-table', name: 'stack-wal', role: 'lookup' })).not.toBeNull();
    expect(targets.engineUse({ type: 'dynamodb-table', name: 'stack-dead-letters', role: 'sink' })).toBeNull();
  });
});

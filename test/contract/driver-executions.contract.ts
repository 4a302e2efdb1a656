/**
 * The rules of engine/ports/driver-executions.ts, checked against any adapter. Each test
 * gets a fresh fixture, whose executions run the driver's definition with tasks steered
 * by the job id:
 *
 *   fail-*   the first task fails with a non-retryable error: the execution ends FAILED
 *   hold-*   the first task waits for `release()`: RUNNING until then, then as below
 *   others   the first task answers that the job is not running: it ends SUCCEEDED
 */
import { describe, expect, it } from 'vitest';
import { driverExecutionName, type DriverExecutions, type ExecutionStatus } from '../../engine/ports/driver-executions.js';

export interface DriverExecutionsFixture {
  readonly executions: DriverExecutions;
  /** Lets every held (`hold-*`) execution go on. */
  release(): void;
}

/** Polls until the execution is no longer RUNNING and returns its status. */
async function ended(executions: DriverExecutions, name: string, timeoutMs = 10_000): Promise<ExecutionStatus | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await executions.status(name);
    if (status !== 'RUNNING') return status;
    if (Date.now() > deadline) throw new Error(`${name} still RUNNING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function describeDriverExecutionsContract(
  adapter: string,
  makeFixture: () => Promise<DriverExecutionsFixture> | DriverExecutionsFixture,
): void {
  describe(`DriverExecutions contract (${adapter})`, () => {
    it('an execution never started has no status', async () => {
      const { executions } = await makeFixture();
      expect(await executions.status(driverExecutionName('never', 1))).toBeNull();
    });

    it('a started execution is RUNNING or already ended, and ends SUCCEEDED', async () => {
      const { executions } = await makeFixture();
      const name = driverExecutionName('ok', 1);
      expect(await executions.start(name, { jobId: 'ok', generation: 1 })).toBe('started');
      expect(['RUNNING', 'SUCCEEDED']).toContain(await executions.status(name));
      expect(await ended(executions, name)).toBe('SUCCEEDED');
    });

    it('an execution whose first task fails for good ends FAILED', async () => {
      const { executions } = await makeFixture();
      const name = driverExecutionName('fail-spec', 1);
      expect(await executions.start(name, { jobId: 'fail-spec', generation: 1 })).toBe('started');
      expect(await ended(executions, name)).toBe('FAILED');
    });

    // A start with the same input while it runs is not checked: AWS answers it with success
    // (StartExecution is idempotent for the same name and input), so the AWS adapter says 'started'.
    it('a name starts once: a later start finds it exists, whatever its input, running or ended', async () => {
      const { executions, release } = await makeFixture();
      const input = { jobId: 'hold-j', generation: 1 };
      const name = driverExecutionName(input.jobId, input.generation);
      expect(await executions.start(name, input)).toBe('started');
      expect(await executions.status(name)).toBe('RUNNING');
      expect(await executions.start(name, { ...input, delaySeconds: 5 })).toBe('exists');
      release();
      expect(await ended(executions, name)).toBe('SUCCEEDED');
      expect(await executions.start(name, input)).toBe('exists');
      expect(await executions.start(name, { jobId: 'fail-other', generation: 7 })).toBe('exists');
      expect(await executions.status(name)).toBe('SUCCEEDED');

      const failed = driverExecutionName('fail-j', 1);
      await executions.start(failed, { jobId: 'fail-j', generation: 1 });
      expect(await ended(executions, failed)).toBe('FAILED');
      expect(await executions.start(failed, { jobId: 'fail-j', generation: 1 })).toBe('exists');
      expect(await executions.status(failed)).toBe('FAILED');
    });

    it('the generations of a job are independent executions', async () => {
      const { executions, release } = await makeFixture();
      const [first, second, third] = [1, 2, 3].map((g) => driverExecutionName('hold-j', g)) as [string, string, string];
      expect(await executions.start(first, { jobId: 'hold-j', generation: 1 })).toBe('started');
      expect(await executions.start(second, { jobId: 'hold-j', generation: 2 })).toBe('started');
      expect(await executions.status(third)).toBeNull();
      expect([await executions.status(first), await executions.status(second)]).toEqual(['RUNNING', 'RUNNING']);
      release();
      expect([await ended(executions, first), await ended(executions, second)]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(await executions.status(third)).toBeNull();
    });
  });
}

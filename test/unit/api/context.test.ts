/** Each API operation's dependencies (engine/api/context.ts): typed per operation, checked once where they are built untyped. */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import { controlApiContext, readApiContext, type ApiContext, type ControlApiContext } from '../../../engine/api/context.js';
import { listDeadLetters, startJobInstance } from '../../../engine/api/jobs.js';
import { ConfigurationError } from '../../../engine/errors.js';

function bag(): ApiContext {
  const ports = createMemoryPorts();
  return {
    registry: new MemoryJobRegistry(),
    wal: ports.wal,
    executions: { start: async () => 'started', status: async () => null },
    catalog: {},
    clock: ports.clock,
    logger: ports.logger,
  };
}

describe('API contexts', () => {
  it('refuses, at compile time, an operation a dependency it needs is missing from', () => {
    // Never called: the type checker is the test (a missing dependency is a compile error, not a failed request).
    const unused = (withoutState: Omit<ControlApiContext, 'state'>, untyped: ApiContext) => {
      // @ts-expect-error a start may copy a checkpoint: it needs the state store
      void startJobInstance({} as never, withoutState);
      // @ts-expect-error the dead letters route needs the dead-letter queue
      void listDeadLetters('j', { limit: 1, nextToken: null, partition: null }, untyped);
    };
    expect(unused).toBeTypeOf('function');
  });

  it('checks the context built for a function has what the function needs, with a ConfigurationError', () => {
    expect(() => readApiContext(bag())).toThrow(ConfigurationError);
    expect(() => readApiContext(bag())).toThrow('this API function has no dead-letter queue: dead letters are read in the read function');
    expect(() => controlApiContext(bag())).toThrow(ConfigurationError);
    expect(() => controlApiContext(bag())).toThrow('this API function has no state store: a checkpoint start runs in the control function');
    const ports = createMemoryPorts();
    expect(readApiContext({ ...bag(), deadLetters: ports.deadLetters }).deadLetters).toBe(ports.deadLetters);
    expect(controlApiContext({ ...bag(), state: ports.state }).state).toBe(ports.state);
  });
});

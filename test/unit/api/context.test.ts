/** Each API operation's dependencies (engine/api/context.ts): typed per operation, so a missing one does not compile. */
import { describe, expect, it } from 'vitest';
import type { ControlApiContext, ReadApiContext } from '../../../engine/api/context.js';
import { listDeadLetters, startJobInstance } from '../../../engine/api/jobs.js';

describe('API contexts', () => {
  it('refuses, at compile time, an operation a dependency it needs is missing from', () => {
    // Never called: the type checker is the test (a missing dependency is a compile error, not a failed request).
    const unused = (withoutState: Omit<ControlApiContext, 'state'>, withoutDeadLetters: Omit<ReadApiContext, 'deadLetters'>) => {
      // @ts-expect-error a start may copy a checkpoint: it needs the state store
      void startJobInstance({} as never, withoutState);
      // @ts-expect-error the dead letters route needs the dead-letter queue
      void listDeadLetters('j', { limit: 1, nextToken: null, partition: null }, withoutDeadLetters);
    };
    expect(unused).toBeTypeOf('function');
  });
});

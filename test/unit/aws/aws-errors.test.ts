/** What an AWS SDK error means (engine/adapters/aws/aws-errors.ts): by class, by the SDK's metadata, never by a bare name. */
import {
  ConditionalCheckFailedException,
  ResourceInUseException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { ExpiredIteratorException, ProvisionedThroughputExceededException } from '@aws-sdk/client-kinesis';
import { NoSuchKey } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  cancellationCodes,
  isAlreadyExists,
  isConditionalCheckFailed,
  isExpiredIterator,
  isNotFound,
  isThrottling,
  isTransactionCanceled,
  isTransactionConflict,
  retriedBySdk,
} from '../../../engine/adapters/aws/aws-errors.js';

const metadata = { $metadata: { httpStatusCode: 400 } };

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({ message: 'cancelled', ...metadata, CancellationReasons: codes.map((Code) => ({ Code })) });
}

describe('AWS SDK error classification', () => {
  it('matches the SDK exception classes', () => {
    expect(isConditionalCheckFailed(new ConditionalCheckFailedException({ message: 'no', ...metadata }))).toBe(true);
    expect(isNotFound(new ResourceNotFoundException({ message: 'no table', ...metadata }))).toBe(true);
    expect(isNotFound(new NoSuchKey({ message: 'no key', ...metadata }))).toBe(true);
    expect(isNotFound(new ExecutionDoesNotExist({ message: 'no execution', ...metadata }))).toBe(true);
    expect(isAlreadyExists(new ResourceInUseException({ message: 'exists', ...metadata }))).toBe(true);
    expect(isAlreadyExists(new ExecutionAlreadyExists({ message: 'exists', ...metadata }))).toBe(true);
    expect(isExpiredIterator(new ExpiredIteratorException({ message: 'expired', ...metadata }))).toBe(true);
    expect(isThrottling(new ProvisionedThroughputExceededException({ message: 'slow down', ...metadata }))).toBe(true);
    expect(isNotFound(new ConditionalCheckFailedException({ message: 'no', ...metadata }))).toBe(false);
  });

  it('does not take a plain Error for an SDK error because of its name', () => {
    const named = Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' });
    expect(isConditionalCheckFailed(named)).toBe(false);
    expect(isConditionalCheckFailed(undefined)).toBe(false);
    expect(isNotFound('ResourceNotFoundException')).toBe(false);
  });

  it('reads throttling from the SDK trait and HTTP 429 when the class says nothing', () => {
    expect(
      isThrottling(Object.assign(new Error('x'), { name: 'SlowDown', $fault: 'client', $retryable: { throttling: true }, $metadata: {} })),
    ).toBe(true);
    expect(isThrottling(Object.assign(new Error('x'), { name: 'Whatever', $fault: 'client', $metadata: { httpStatusCode: 429 } }))).toBe(
      true,
    );
    expect(isThrottling(Object.assign(new Error('x'), { name: 'Whatever', $fault: 'server', $metadata: { httpStatusCode: 500 } }))).toBe(
      false,
    );
  });

  it('tells a transaction cancelled by a conflict from one whose condition failed', () => {
    expect(isTransactionCanceled(cancelled('None', 'TransactionConflict'))).toBe(true);
    expect(isTransactionConflict(cancelled('None', 'TransactionConflict'))).toBe(true);
    expect(isTransactionConflict(cancelled('ConditionalCheckFailed', 'TransactionConflict'))).toBe(false);
    expect(isTransactionConflict(cancelled('ThrottlingError'))).toBe(false);
    expect(cancellationCodes(cancelled('None', 'ConditionalCheckFailed'))).toEqual(['None', 'ConditionalCheckFailed']);
  });

  it('knows when the SDK retried a call itself', () => {
    expect(retriedBySdk(new ProvisionedThroughputExceededException({ message: 'x', $metadata: { attempts: 3 } }))).toBe(true);
    expect(retriedBySdk(new ProvisionedThroughputExceededException({ message: 'x', $metadata: { attempts: 1 } }))).toBe(false);
    expect(retriedBySdk(new Error('x'))).toBe(false);
  });
});

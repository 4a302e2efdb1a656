/**
 * What an AWS SDK error means, in one place: every adapter (and the local runtime and the
 * operator commands) asks these functions instead of comparing `error.name` by hand.
 *
 * Modelled exceptions are matched with `instanceof` on the SDK's exported classes. Their
 * `Symbol.hasInstance` also accepts an error of the same name that carries the SDK's
 * metadata (`$fault`, `$metadata`), e.g. one deserialized by another copy of the client,
 * but never a plain Error that merely has the name. What has no class of its own
 * (throttling in general) is read from the SDK's own metadata: the `$retryable` trait and
 * `$metadata.httpStatusCode`, the way the SDK's retry strategy classifies it.
 */
import {
  ConditionalCheckFailedException,
  IdempotentParameterMismatchException,
  ProvisionedThroughputExceededException as DynamoDbThroughputExceeded,
  RequestLimitExceeded,
  ResourceInUseException as DynamoDbResourceInUse,
  ResourceNotFoundException as DynamoDbResourceNotFound,
  ThrottlingException as DynamoDbThrottling,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  ExpiredIteratorException,
  KMSThrottlingException,
  LimitExceededException as KinesisLimitExceeded,
  ProvisionedThroughputExceededException as KinesisThroughputExceeded,
  ResourceInUseException as KinesisResourceInUse,
  ResourceNotFoundException as KinesisResourceNotFound,
} from '@aws-sdk/client-kinesis';
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, NoSuchBucket, NoSuchKey, NotFound } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import type { ResponseMetadata, RetryableTrait } from '@smithy/types';
import { NotFoundError } from '../../errors.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** The SDK's metadata on an error it threw (absent on anything else). */
interface SdkErrorMetadata {
  readonly $fault?: 'client' | 'server';
  readonly $retryable?: RetryableTrait;
  readonly $metadata?: Partial<ResponseMetadata>;
}

const THROTTLING: readonly ErrorClass[] = [
  DynamoDbThroughputExceeded,
  RequestLimitExceeded,
  DynamoDbThrottling,
  KinesisThroughputExceeded,
  KinesisLimitExceeded,
  KMSThrottlingException,
];

/** A missing resource: a table, a stream, an object, an execution. */
const NOT_FOUND: readonly ErrorClass[] = [DynamoDbResourceNotFound, KinesisResourceNotFound, NoSuchKey, NotFound, ExecutionDoesNotExist];

/**
 * A create of something that is there already: a table or stream (ResourceInUseException,
 * also while it is being created), a bucket, an execution of the same name.
 */
const ALREADY_EXISTS: readonly ErrorClass[] = [
  DynamoDbResourceInUse,
  KinesisResourceInUse,
  BucketAlreadyOwnedByYou,
  BucketAlreadyExists,
  ExecutionAlreadyExists,
];

/** The reason DynamoDB gives for an item whose condition failed inside a cancelled transaction. */
export const CONDITION_FAILED_REASON = 'ConditionalCheckFailed';
/** The reason DynamoDB gives for an item another transaction was writing at the same time. */
const CONFLICT_REASON = 'TransactionConflict';

function isAny(error: unknown, classes: readonly ErrorClass[]): boolean {
  return classes.some((c) => error instanceof c);
}

function metadataOf(error: unknown): SdkErrorMetadata {
  return typeof error === 'object' && error !== null ? (error as SdkErrorMetadata) : {};
}

/** A DynamoDB write whose ConditionExpression did not hold. */
export function isConditionalCheckFailed(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException;
}

/** A DynamoDB transaction that was cancelled; `cancellationCodes` says why, item by item. */
export function isTransactionCanceled(error: unknown): error is TransactionCanceledException {
  return error instanceof TransactionCanceledException;
}

/** The reason code of each item of a cancelled transaction, in the order of its items ('None' for an item that was fine). */
export function cancellationCodes(error: TransactionCanceledException): (string | undefined)[] {
  return (error.CancellationReasons ?? []).map((reason) => reason.Code);
}

/**
 * A transaction cancelled only because another transaction wrote the same items at the
 * same time (no condition failed): the same transaction may pass when sent again.
 */
export function isTransactionConflict(error: unknown): boolean {
  if (!isTransactionCanceled(error)) return false;
  const codes = cancellationCodes(error);
  return codes.includes(CONFLICT_REASON) && !codes.includes(CONDITION_FAILED_REASON);
}

/** A transaction's ClientRequestToken was used within the last 10 minutes for a different request. */
export function isIdempotentParameterMismatch(error: unknown): error is IdempotentParameterMismatchException {
  return error instanceof IdempotentParameterMismatchException;
}

/**
 * AWS asked the caller to slow down: a throughput or request limit, by class, by the
 * SDK's throttling trait, or by HTTP 429.
 */
export function isThrottling(error: unknown): boolean {
  if (isAny(error, THROTTLING)) return true;
  const { $retryable, $metadata } = metadataOf(error);
  return $retryable?.throttling === true || $metadata?.httpStatusCode === 429;
}

/** The resource a call names does not exist: ResourceNotFoundException, NoSuchKey, NotFound, ExecutionDoesNotExist. */
export function isNotFound(error: unknown): boolean {
  return isAny(error, NOT_FOUND);
}

/**
 * A not-found error (isNotFound) as the engine's NotFoundError with `message`, which says
 * what is missing and what to do; any other error as it is. NotFoundError is not retryable:
 * a stream or table that does not exist stays missing however often a call is retried, so
 * the driver leaves the job FAILED with the message at once instead of restarting it.
 */
export function missingAs(error: unknown, message: string, context: Readonly<Record<string, string>> = {}): unknown {
  return isNotFound(error) ? new NotFoundError(message, { cause: error, context }) : error;
}

/**
 * An S3 call on a bucket that does not exist (NoSuchBucket). Not part of isNotFound: a
 * read of a missing object answers null, a read in a missing bucket must not.
 */
export function isNoSuchBucket(error: unknown): error is NoSuchBucket {
  return error instanceof NoSuchBucket;
}

/** A GET whose byte range starts at or past the object's end (HTTP 416, InvalidRange): the object has no bytes there. */
export function isRangeNotSatisfiable(error: unknown): boolean {
  return metadataOf(error).$metadata?.httpStatusCode === 416;
}

/** A create found the resource there already (or being created): ResourceInUseException, BucketAlreadyOwnedByYou, ExecutionAlreadyExists... */
export function isAlreadyExists(error: unknown): boolean {
  return isAny(error, ALREADY_EXISTS);
}

/** A Kinesis shard iterator older than 5 minutes: a new one must be taken before reading on. */
export function isExpiredIterator(error: unknown): error is ExpiredIteratorException {
  return error instanceof ExpiredIteratorException;
}

/**
 * True when the SDK's own retry strategy sent the call more than once before it threw
 * this error (its `$metadata.attempts`). A loop of ours that meets such an error does not
 * retry it again: the attempts would multiply (engine/adapters/aws/clients.ts).
 */
export function retriedBySdk(error: unknown): boolean {
  return (metadataOf(error).$metadata?.attempts ?? 1) > 1;
}

/** What IAM checks for a recorded AWS call (test/support/iam/aws-call-iam.ts). */
import { describe, expect, it } from 'vitest';
import { iamRequestsOf } from '../../support/iam/aws-call-iam.js';

const scope = { region: 'us-east-1', account: '000000000000' };
const secure = { 'aws:SecureTransport': 'true' };

describe('iamRequestsOf', () => {
  it('checks a DynamoDB item call on its table, a query on its index', () => {
    expect(iamRequestsOf({ service: 'dynamodb', operation: 'PutItem', input: { TableName: 'wal' } }, scope)).toEqual([
      { action: 'dynamodb:PutItem', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/wal', context: secure },
    ]);
    expect(
      iamRequestsOf({ service: 'dynamodb', operation: 'Query', input: { TableName: 'wal', IndexName: 'byJob' } }, scope)[0]!.resource,
    ).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/wal/index/byJob');
  });

  it("checks a transaction per item, with the item's own action", () => {
    const requests = iamRequestsOf(
      {
        service: 'dynamodb',
        operation: 'TransactWriteItems',
        input: {
          TransactItems: [{ Put: { TableName: 'sink' } }, { ConditionCheck: { TableName: 'wal' } }, { Update: { TableName: 'wal' } }],
        },
      },
      scope,
    );
    expect(requests.map((r) => `${r.action} ${r.resource.replace(/^.*table\//, '')}`)).toEqual([
      'dynamodb:PutItem sink',
      'dynamodb:ConditionCheckItem wal',
      'dynamodb:UpdateItem wal',
    ]);
  });

  it('checks a batch write on every table it names', () => {
    const requests = iamRequestsOf({ service: 'dynamodb', operation: 'BatchWriteItem', input: { RequestItems: { a: [], b: [] } } }, scope);
    expect(requests.map((r) => r.resource)).toEqual([
      'arn:aws:dynamodb:us-east-1:000000000000:table/a',
      'arn:aws:dynamodb:us-east-1:000000000000:table/b',
    ]);
  });

  it('checks Kinesis calls on the stream, by name or ARN', () => {
    expect(iamRequestsOf({ service: 'kinesis', operation: 'GetRecords', input: { StreamName: 'clicks' } }, scope)[0]).toMatchObject({
      action: 'kinesis:GetRecords',
      resource: 'arn:aws:kinesis:us-east-1:000000000000:stream/clicks',
    });
    const arn = 'arn:aws:kinesis:eu-west-1:111111111111:stream/other';
    expect(iamRequestsOf({ service: 'kinesis', operation: 'ListShards', input: { StreamARN: arn } }, scope)[0]!.resource).toBe(arn);
    expect(() => iamRequestsOf({ service: 'kinesis', operation: 'GetRecords', input: {} }, scope)).toThrow(/names no stream/);
  });

  it('checks S3 object calls on the object, listings on the bucket with their prefix, DeleteObjects per key', () => {
    expect(iamRequestsOf({ service: 's3', operation: 'HeadObject', input: { Bucket: 'b', Key: 'jobs/1' } }, scope)[0]).toMatchObject({
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::b/jobs/1',
    });
    expect(iamRequestsOf({ service: 's3', operation: 'ListObjectsV2', input: { Bucket: 'b', Prefix: 'jobs/' } }, scope)[0]).toEqual({
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::b',
      context: { ...secure, 's3:prefix': 'jobs/' },
    });
    const deletes = iamRequestsOf({ service: 's3', operation: 'DeleteObjects', input: { Bucket: 'b', Keys: ['x/1', 'x/2'] } }, scope);
    expect(deletes.map((r) => `${r.action} ${r.resource}`)).toEqual([
      's3:DeleteObject arn:aws:s3:::b/x/1',
      's3:DeleteObject arn:aws:s3:::b/x/2',
    ]);
  });

  it('checks Step Functions calls on the state machine or the execution, and a Lambda invocation on the function', () => {
    const machine = 'arn:aws:states:us-east-1:000000000000:stateMachine:driver';
    expect(iamRequestsOf({ service: 'states', operation: 'StartExecution', input: { stateMachineArn: machine } }, scope)[0]!.resource).toBe(
      machine,
    );
    const execution = 'arn:aws:states:us-east-1:000000000000:execution:driver:job-1';
    expect(
      iamRequestsOf({ service: 'states', operation: 'DescribeExecution', input: { executionArn: execution } }, scope)[0]!.resource,
    ).toBe(execution);
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:plan';
    expect(iamRequestsOf({ service: 'lambda', operation: 'Invoke', input: { FunctionName: fn } }, scope)[0]).toMatchObject({
      action: 'lambda:InvokeFunction',
      resource: fn,
    });
  });

  it('refuses an operation or a service it does not map, naming it', () => {
    expect(() => iamRequestsOf({ service: 's3', operation: 'CopyObject', input: { Bucket: 'b' } }, scope)).toThrow(
      /s3 CopyObject has no IAM mapping/,
    );
    expect(() => iamRequestsOf({ service: 'sqs', operation: 'SendMessage', input: {} }, scope)).toThrow(/calls to sqs/);
  });
});

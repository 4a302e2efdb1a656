/**
 * What IAM checks for one AWS API call: the action(s) and resource ARN(s) its input names,
 * as the services' authorization references list them. A transaction or batch is checked
 * per item (TransactWriteItems needs dynamodb:PutItem/UpdateItem/DeleteItem/
 * ConditionCheckItem on each item's table; DeleteObjects needs s3:DeleteObject on each key).
 * An operation this table does not know throws, naming it: an unmapped call must not pass
 * the check unchecked. Pure.
 */
import type { IamRequest } from './iam-policy.js';

export type Json = Record<string, any>;

/** One call as sent: the service's signing name (dynamodb, kinesis, s3, states), the operation and its input. */
export interface AwsCall {
  readonly service: string;
  readonly operation: string;
  /**
   * The request's JSON body (DynamoDB, Kinesis, Step Functions); for S3, what its URL and
   * body name: { Bucket, Key?, Keys? (DeleteObjects), Prefix? (listings) }. Kinesis
   * GetRecords carries the StreamName its iterator was taken for.
   */
  readonly input: Json;
}

export interface ArnScope {
  readonly region: string;
  readonly account: string;
}

/** What a call from a Lambda function carries: TLS 1.2 or newer, always (the SDK refuses plain HTTP on AWS). */
const DEPLOYED_CONTEXT = { 'aws:SecureTransport': 'true' } as const;

export function iamRequestsOf(call: AwsCall, scope: ArnScope): IamRequest[] {
  const mapping = SERVICES[call.service];
  if (mapping === undefined) throw new Error(`calls to ${call.service} (${call.operation}) have no IAM mapping`);
  return mapping(call.operation, call.input, scope).map((r) => ({ ...r, context: { ...DEPLOYED_CONTEXT, ...r.context } }));
}

type Mapping = (operation: string, input: Json, scope: ArnScope) => IamRequest[];

const tableArn = (s: ArnScope, table: string) =>
  table.startsWith('arn:') ? table : `arn:aws:dynamodb:${s.region}:${s.account}:table/${table}`;

const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

const dynamodb: Mapping = (operation, input, s) => {
  switch (operation) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
    case 'DescribeTable':
    case 'DescribeTimeToLive':
    case 'CreateTable':
    case 'DeleteTable':
      return [{ action: `dynamodb:${operation}`, resource: tableArn(s, input.TableName) }];
    case 'Query':
    case 'Scan': {
      const table = tableArn(s, input.TableName);
      return [{ action: `dynamodb:${operation}`, resource: input.IndexName ? `${table}/index/${input.IndexName}` : table }];
    }
    case 'BatchWriteItem':
    case 'BatchGetItem':
      return Object.keys(input.RequestItems ?? {}).map((t) => ({ action: `dynamodb:${operation}`, resource: tableArn(s, t) }));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return (input.TransactItems as Json[]).map((item) => {
        const [kind, body] = Object.entries(item)[0] as [string, Json];
        const action = TRANSACT_ITEM_ACTIONS[kind];
        if (action === undefined) throw new Error(`${operation} item ${kind} has no IAM mapping`);
        return { action: `dynamodb:${action}`, resource: tableArn(s, body.TableName) };
      });
    case 'ListTables':
      return [{ action: 'dynamodb:ListTables', resource: '*' }];
    default:
      throw new Error(`dynamodb ${operation} has no IAM mapping`);
  }
};

const kinesis: Mapping = (operation, input, s) => {
  if (operation === 'ListStreams') return [{ action: 'kinesis:ListStreams', resource: '*' }];
  const stream: unknown = input.StreamARN ?? input.StreamName;
  if (typeof stream !== 'string') throw new Error(`kinesis ${operation} names no stream: ${JSON.stringify(input).slice(0, 200)}`);
  const arn = stream.startsWith('arn:') ? stream : `arn:aws:kinesis:${s.region}:${s.account}:stream/${stream}`;
  return [{ action: `kinesis:${operation}`, resource: arn }];
};

const states: Mapping = (operation, input) => {
  switch (operation) {
    case 'StartExecution':
    case 'StartSyncExecution':
    case 'ListExecutions':
    case 'DescribeStateMachine':
      return [{ action: `states:${operation}`, resource: String(input.stateMachineArn) }];
    case 'DescribeExecution':
    case 'StopExecution':
    case 'GetExecutionHistory':
      return [{ action: `states:${operation}`, resource: String(input.executionArn) }];
    default:
      throw new Error(`states ${operation} has no IAM mapping`);
  }
};

/** S3 operations → the action IAM checks (a HEAD is a GetObject; listing a bucket is ListBucket). */
const S3_OBJECT_ACTIONS: Readonly<Record<string, string>> = {
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  DeleteObject: 's3:DeleteObject',
};

const s3: Mapping = (operation, input) => {
  const bucket = String(input.Bucket);
  const objectAction = S3_OBJECT_ACTIONS[operation];
  if (objectAction !== undefined) return [{ action: objectAction, resource: `arn:aws:s3:::${bucket}/${input.Key}` }];
  switch (operation) {
    case 'DeleteObjects':
      return (input.Keys as string[]).map((key) => ({ action: 's3:DeleteObject', resource: `arn:aws:s3:::${bucket}/${key}` }));
    case 'ListObjectsV2':
    case 'ListObjects':
      return [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, context: { 's3:prefix': String(input.Prefix ?? '') } }];
    case 'HeadBucket':
      return [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` }];
    default:
      throw new Error(`s3 ${operation} has no IAM mapping`);
  }
};

const lambda: Mapping = (operation, input) => {
  if (operation !== 'Invoke') throw new Error(`lambda ${operation} has no IAM mapping`);
  return [{ action: 'lambda:InvokeFunction', resource: String(input.FunctionName) }];
};

const SERVICES: Readonly<Record<string, Mapping>> = { dynamodb, kinesis, states, s3, lambda };

/**
 * The job registry in the write-ahead-log table, as its own item kind. All control
 * records share one partition so the supervisor can list them with a Query:
 *
 *   pk = REGISTRY_PK, sk = job#<jobId>    { jobId, revision, record }
 *   pk = REGISTRY_PK, sk = sink#<target>  { ownerJobId, owner }   which instance owns a sink target
 *
 * REGISTRY_PK starts with '#', which no job id may contain (engine/driver/job-control.ts
 * checks ids), so it never meets a job's own WAL items (pk = job id). Control traffic is
 * a few writes per driver generation and one read per batch, far below a partition's limits.
 * Sink owners are read and claimed at starts, resumes and replays only; `list` reads the
 * job# items alone.
 */
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { checkRevision, type JobInstance, type JobRegistry, type SinkOwner } from '../../ports/job-registry.js';
import { isConditionalCheckFailed } from './aws-errors.js';

export const REGISTRY_PK = '#job-registry';
const SK_PREFIX = 'job#';
const SINK_SK_PREFIX = 'sink#';

/** No record is stored for the job yet: the first creator wins. */
const RECORD_DOES_NOT_EXIST = 'attribute_not_exists(sk)';
/** The stored record is the one the writer read: nobody wrote in between. */
const REVISION_IS_EXPECTED = '#revision = :expected';
/** The target is owned by the instance the claimer read: nobody claimed it in between. */
const OWNER_IS_EXPECTED = '#owner = :expected';

export interface DynamoDbJobRegistryOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export class DynamoDbJobRegistry implements JobRegistry {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(options: DynamoDbJobRegistryOptions) {
    this.client = options.client;
    this.table = options.tableName;
  }

  async get(jobId: string): Promise<JobInstance | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: REGISTRY_PK, sk: `${SK_PREFIX}${jobId}` }, ConsistentRead: true }),
    );
    return Item === undefined ? null : (Item.record as JobInstance);
  }

  async list(): Promise<JobInstance[]> {
    const out: JobInstance[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': REGISTRY_PK, ':prefix': SK_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      out.push(...(page.Items ?? []).map((item) => item.record as JobInstance));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return out;
  }

  async put(next: JobInstance, expectedRevision: number | null): Promise<boolean> {
    checkRevision(next, expectedRevision);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: REGISTRY_PK, sk: `${SK_PREFIX}${next.jobId}`, jobId: next.jobId, revision: next.revision, record: next },
          ...(expectedRevision === null
            ? { ConditionExpression: RECORD_DOES_NOT_EXIST }
            : {
                ConditionExpression: REVISION_IS_EXPECTED,
                ExpressionAttributeNames: { '#revision': 'revision' },
                ExpressionAttributeValues: { ':expected': expectedRevision },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async getSinkOwner(target: string): Promise<SinkOwner | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: REGISTRY_PK, sk: `${SINK_SK_PREFIX}${target}` }, ConsistentRead: true }),
    );
    return Item === undefined ? null : (Item.owner as SinkOwner);
  }

  async claimSink(next: SinkOwner, expectedOwner: string | null): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: REGISTRY_PK, sk: `${SINK_SK_PREFIX}${next.target}`, ownerJobId: next.jobId, owner: next },
          ...(expectedOwner === null
            ? { ConditionExpression: RECORD_DOES_NOT_EXIST }
            : {
                ConditionExpression: OWNER_IS_EXPECTED,
                ExpressionAttributeNames: { '#owner': 'ownerJobId' },
                ExpressionAttributeValues: { ':expected': expectedOwner },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

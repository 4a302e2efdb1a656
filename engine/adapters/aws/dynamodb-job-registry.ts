/**
 * The job registry in the write-ahead-log table, as its own item kind. All control
 * records share one partition so the supervisor can list them with a Query:
 *
 *   pk = REGISTRY_PK, sk = job#<jobId>   { jobId, revision, record }
 *
 * REGISTRY_PK starts with '#', which no job id may contain (engine/driver/job-control.ts
 * checks ids), so it never meets a job's own WAL items (pk = job id). Control traffic is
 * a few writes per driver generation and one read per batch, far below a partition's limits.
 */
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { checkRevision, type JobInstance, type JobRegistry } from '../../ports/job-registry.js';
import { isConditionalCheckFailed } from './aws-errors.js';

export const REGISTRY_PK = '#job-registry';
const SK_PREFIX = 'job#';

/** No record is stored for the job yet: the first creator wins. */
const RECORD_DOES_NOT_EXIST = 'attribute_not_exists(sk)';
/** The stored record is the one the writer read: nobody wrote in between. */
const REVISION_IS_EXPECTED = '#revision = :expected';

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
}

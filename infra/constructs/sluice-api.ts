/**
 * The jobs API: an API Gateway HTTP API whose every route (functions/api-routes.ts, the
 * `$default` catch-all included) requires IAM authorization (SigV4; callers need
 * execute-api:Invoke on it), in front of two Lambda functions:
 *
 *   apiRead     GET /jobs, GET /jobs/{jobId}, GET /jobs/{jobId}/batches,
 *               GET /jobs/{jobId}/dead-letters, GET /jobs/{jobId}/results, $default (404)
 *               reads the registry and the WAL (the WAL table), queries the dead-letter
 *               table, reads the status of driver executions, and reads the jobs' sinks
 *               back (grantResultsRead: Scan on sink tables, the file sinks' log and files)
 *   apiControl  POST /jobs, POST /jobs/{jobId}/stop, POST /jobs/{jobId}/resume
 *               writes the registry, starts driver executions, for a start from a
 *               checkpoint copies WAL records and state objects, and checks that the
 *               job's targets exist (grantStartChecks: describe actions only)
 *
 * Reads as a script: functions (each grant next to the environment variable naming its
 * resource), the API with its stage (access logs, throttling), the routes.
 */
import { ArnFormat, CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_FUNCTIONS, API_ROUTES, type ApiFunction, type ApiRouteKey } from '../../functions/api-routes.js';
import { ENV } from '../../functions/env.js';
import { grantFileSinkRead, type FileSinkLocation } from './file-sink-grants.js';
import { acknowledgeWildcards } from './nag-acknowledgements.js';
import type { SluiceDriver } from './sluice-driver.js';
import { sluiceFunction } from './sluice-function.js';
import type { SluiceStorage } from './sluice-storage.js';

export interface SluiceApiProps {
  readonly storage: SluiceStorage;
  readonly driver: SluiceDriver;
  /**
   * Requests per second the stage accepts (steady, burst) before answering 429.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** What a start or resume checks exists (engine/api/job-targets.ts): the targets of the deployment's jobs. */
export interface StartCheckTargets {
  /** Kinesis streams the jobs read or write: kinesis:DescribeStreamSummary. */
  readonly streams?: readonly kinesis.IStream[];
  /** Sink, side-output, dead-letter, late-records and lookup tables: dynamodb:DescribeTable. */
  readonly tables?: readonly dynamodb.ITable[];
  /** File sinks' buckets other than the checkpoint bucket: s3:ListBucket (HeadBucket). */
  readonly buckets?: readonly s3.IBucket[];
}

export class SluiceApi extends Construct {
  public readonly functions: Readonly<Record<ApiFunction, nodejs.NodejsFunction>>;
  public readonly httpApi: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  public readonly routes: Readonly<Record<ApiRouteKey, apigwv2.HttpRoute>>;
  public readonly accessLogs: logs.LogGroup;
  /** The API's base URL (the `sluice` command's --endpoint). */
  public readonly url: string;
  /** What a caller's policy allows execute-api:Invoke on: every route of this API. */
  public readonly invokeArn: string;
  private readonly storage: SluiceStorage;

  constructor(scope: Construct, id: string, props: SluiceApiProps) {
    super(scope, id);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const { storage, driver } = props;
    this.storage = storage;
    const stack = Stack.of(this);
    const driverExecutions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stack.stackName}-driver:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    // 1. Functions, each grant next to the variable that names its resource.
    const make = (name: ApiFunction) =>
      sluiceFunction(this, `${name[0]!.toUpperCase()}${name.slice(1)}Function`, API_FUNCTIONS[name], { logRetention: retention });
    const read = make('apiRead');
    read.addEnvironment(ENV.walTable, storage.walTable.tableName);
    storage.walTable.grantReadData(read);
    read.addEnvironment(ENV.deadLetterTable, storage.deadLetterTable.tableName);
    // Pages of a job's letters are queries; nothing else is read from the table.
    storage.deadLetterTable.grant(read, 'dynamodb:Query');
    read.addEnvironment(ENV.driverStateMachineArn, driver.driver.stateMachineArn);
    read.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [driverExecutions] }));
    acknowledgeWildcards(read.role, [
      {
        resource: driverExecutions,
        reason:
          "A job's status reads the status of its driver execution, named <jobId>-<generation> at run time, of the driver state machine only.",
      },
    ]);
    // File sinks without a bucket of their own are in the checkpoint bucket: the name only;
    // grantResultsRead grants reading each sink's prefix, nothing else of the bucket.
    read.addEnvironment(ENV.checkpointBucket, storage.checkpointBucket.bucketName);

    const control = make('apiControl');
    control.addEnvironment(ENV.walTable, storage.walTable.tableName);
    storage.walTable.grant(control, ...CONTROL_WAL_ACTIONS);
    control.addEnvironment(ENV.checkpointBucket, storage.checkpointBucket.bucketName);
    storage.grantCheckpointCopy(control);
    control.addEnvironment(ENV.driverStateMachineArn, driver.driver.stateMachineArn);
    driver.driver.grantStartExecution(control);
    // The name only: a start refuses a job that names the dead-letter table as one of its
    // tables (engine/api/job-targets.ts); no grant on it. grantStartChecks grants the describes.
    control.addEnvironment(ENV.deadLetterTable, storage.deadLetterTable.tableName);
    this.functions = { apiRead: read, apiControl: control };

    // 2. The API: IAM on every route, access logs in JSON, throttled.
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Sluice jobs API: start, list, inspect, stop and resume job instances (IAM authorization)',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention });
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });
    this.url = this.stage.url.replace(/\/$/, '');
    this.invokeArn = stack.formatArn({ service: 'execute-api', resource: this.httpApi.apiId, resourceName: '*' });

    // 3. Routes: the table the handlers and the local server share.
    const authorizer = new HttpIamAuthorizer();
    const integrations: Record<ApiFunction, HttpLambdaIntegration> = {
      apiRead: new HttpLambdaIntegration('ReadIntegration', read),
      apiControl: new HttpLambdaIntegration('ControlIntegration', control),
    };
    const routes: Partial<Record<ApiRouteKey, apigwv2.HttpRoute>> = {};
    for (const [key, fn] of Object.entries(API_ROUTES) as [ApiRouteKey, ApiFunction][]) {
      const routeKey = key === '$default' ? apigwv2.HttpRouteKey.DEFAULT : routeKeyOf(key);
      routes[key] = new apigwv2.HttpRoute(this, `Route${key.replace(/[^A-Za-z0-9]/g, '')}`, {
        httpApi: this.httpApi,
        routeKey,
        integration: integrations[fn],
        authorizer,
      });
    }
    this.routes = routes as Record<ApiRouteKey, apigwv2.HttpRoute>;

    new CfnOutput(stack, 'ApiUrl', {
      description: 'The jobs API (IAM authorization): sluice jobs list --endpoint <this>',
      value: this.url,
    });
    new CfnOutput(stack, 'ApiInvokeArn', {
      description: 'Allow callers of the jobs API execute-api:Invoke on this ARN',
      value: this.invokeArn,
    });
  }

  /** Lets a principal call every route of the API (SigV4-signed requests). */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [this.invokeArn] });
  }

  /**
   * GET /jobs/{jobId}/results reads a job's primary sink back (engine/api/results.ts): the
   * read function may Scan these tables and nothing else of them, and list the commit log
   * and get the objects under each file sink's prefix (in its bucket, or the checkpoint
   * bucket). Call it with every sink table and file sink of the deployment's jobs.
   */
  public grantResultsRead(tables: readonly dynamodb.ITable[], files: readonly FileSinkLocation[] = []): void {
    for (const table of tables) table.grant(this.functions.apiRead, 'dynamodb:Scan');
    for (const { bucket, prefix } of files) grantFileSinkRead(bucket ?? this.storage.checkpointBucket, prefix, this.functions.apiRead);
  }

  /**
   * A start or resume checks the job's targets exist before it records a RUNNING instance
   * (engine/adapters/aws/aws-job-targets.ts): the control function may describe exactly
   * these, nothing more (no read, no write). A target it is not granted is answered
   * AccessDenied, which the check takes as unknown and leaves to the driver; so is a Kafka
   * topic (the function is not in the cluster's VPC), which gets nothing here.
   */
  public grantStartChecks(targets: StartCheckTargets): void {
    const control = this.functions.apiControl;
    const allow = (action: string, resources: readonly string[]) => {
      const unique = [...new Set(resources)];
      if (unique.length > 0) control.addToRolePolicy(new iam.PolicyStatement({ actions: [action], resources: unique }));
    };
    allow(
      'kinesis:DescribeStreamSummary',
      (targets.streams ?? []).map((s) => s.streamArn),
    );
    allow(
      'dynamodb:DescribeTable',
      (targets.tables ?? []).map((t) => t.tableArn),
    );
    // HeadBucket is authorized as s3:ListBucket on the bucket (no prefix to narrow it to).
    allow(
      's3:ListBucket',
      (targets.buckets ?? []).map((b) => b.bucketArn),
    );
  }
}

/**
 * The DynamoDB actions the control function calls on the WAL table (the registry's items
 * are in it too), read from the code its routes run (functions/api-control.ts →
 * engine/api/jobs.ts, checkpoint-start.ts, engine/driver/job-control.ts, sink-ownership.ts,
 * engine/replay/copy-checkpoint.ts) through the adapters functions/environment.ts builds:
 *
 *   dynamodb:GetItem            DynamoDbJobRegistry.get, .getSinkOwner; DynamoDbWriteAheadLog.getBatch
 *                               (a start from a checkpoint, commitBatch) and a failed plan's lease read
 *   dynamodb:Query              DynamoDbWriteAheadLog.getLatestBatch, .listBatches, .listReplays
 *                               (DynamoDbJobRegistry.list is GET /jobs: the read function's)
 *   dynamodb:PutItem            DynamoDbJobRegistry.put (start, stop, resume), .claimSink;
 *                               TransactWriteItems' Put in DynamoDbWriteAheadLog.putPlan (the seed's plan)
 *   dynamodb:UpdateItem         DynamoDbWriteAheadLog.acquireEpoch (UpdateItem ADD epoch);
 *                               TransactWriteItems' Update in .commitBatch (the seed's commit)
 *   dynamodb:ConditionCheckItem TransactWriteItems' ConditionCheck of the lease in .putPlan and .commitBatch
 *
 * No Scan, no BatchGetItem or BatchWriteItem, no DeleteItem, no stream reads, no
 * DescribeTable of the engine's tables (a start refuses them as targets without a call).
 * DescribeTable on the jobs' own tables is grantStartChecks'.
 */
export const CONTROL_WAL_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** `POST /jobs/{jobId}/stop` → the route key of that method and path. */
function routeKeyOf(key: string): apigwv2.HttpRouteKey {
  const [method, path] = key.split(' ') as [string, string];
  return apigwv2.HttpRouteKey.with(path, apigwv2.HttpMethod[method as keyof typeof apigwv2.HttpMethod]);
}

/** One JSON line per request: who called (the IAM principal), which route, what came back. */
const ACCESS_LOG_FORMAT = apigw.AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    time: '$context.requestTime',
    caller: '$context.identity.userArn',
    sourceIp: '$context.identity.sourceIp',
    routeKey: '$context.routeKey',
    status: '$context.status',
    latencyMs: '$context.responseLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
  }),
);

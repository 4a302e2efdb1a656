/**
 * A synthesized app "deployed" on the stand-ins: its tables and buckets created under
 * local names (their key schemas from the template), each function's bundle running in a
 * worker behind its own recording proxy, its state machines on the local Step Functions
 * runtime with a Step Functions API in front (the functions' SFN clients call it), and
 * its HTTP API's routes, as the template's integrations map them, on a local HTTP server.
 */
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createBucket } from '../../../engine/adapters/aws/provision.js';
import { startApiServer, type ApiServer } from '../../../local/api-server.js';
import { startStepFunctionsApi, type StepFunctionsApi } from '../../../local/step-functions-api.js';
import { testAwsClients } from '../aws.js';
import type { StandInEndpoints } from '../../../local/stand-ins.js';
import { startBundledDriver, type BundledDriver } from './bundled-driver.js';
import { startBundledFunction, type BundledFunction } from './bundled-function.js';
import {
  LocalResolver,
  resourcesOfType,
  templateFunctions,
  templateStateMachines,
  type Json,
  type SynthesizedApp,
} from './cloud-assembly.js';
import { startRecordingProxy, type RecordedCall, type RecordingProxy } from './recording-proxy.js';

export interface LocalDeployment {
  readonly resolver: LocalResolver;
  /** Logical id → the bundled function. */
  readonly functions: ReadonlyMap<string, BundledFunction>;
  readonly driver: BundledDriver;
  readonly api: ApiServer;
  /** Every AWS call recorded so far, by functions and state machines. */
  readonly calls: readonly RecordedCall[];
  /** Caller (function or state machine logical id) → its role's logical id. */
  readonly callers: ReadonlyMap<string, string>;
  /** Every function's log output, for a failing test's message. */
  logs(): string;
  close(): Promise<void>;
}

export async function deployLocally(app: SynthesizedApp, standIns: StandInEndpoints, prefix: string): Promise<LocalDeployment> {
  const resolver = new LocalResolver(app.template, prefix);
  await createTemplateResources(app.template, resolver);
  const calls: RecordedCall[] = [];
  const record = (call: RecordedCall) => calls.push(call);
  // The Step Functions API joins once the driver exists; the proxies read this at each call.
  const targets: Record<string, string> = { dynamodb: standIns.dynamodb, kinesis: standIns.kinesis, s3: standIns.s3 };
  const proxies: RecordingProxy[] = [];
  const functions = new Map<string, BundledFunction>();
  const callers = new Map<string, string>();
  let sfnApi: StepFunctionsApi | undefined;
  let api: ApiServer | undefined;
  const close = async () => {
    await api?.close();
    await Promise.allSettled([...functions.values()].map((f) => f.close()));
    await Promise.allSettled(proxies.map((p) => p.close()));
    await sfnApi?.close();
  };
  try {
    // The workers load their bundles side by side (a few seconds each on a busy machine).
    const started = await Promise.allSettled(
      templateFunctions(app, resolver).map(async (spec) => {
        const proxy = await startRecordingProxy(spec.logicalId, targets, record);
        proxies.push(proxy);
        functions.set(
          spec.logicalId,
          await startBundledFunction(spec, {
            AWS_ENDPOINT_URL: proxy.http1,
            AWS_ENDPOINT_URL_KINESIS: proxy.http2,
            // s3rver stores aws-chunked framing in the object unless checksums are sent only when required.
            AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
            AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
          }),
        );
        callers.set(spec.logicalId, spec.roleId);
      }),
    );
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const machines = templateStateMachines(app.template, resolver);
    for (const m of machines) callers.set(m.logicalId, m.roleId);
    const driver = startBundledDriver({ template: app.template, resolver, machines, functions, record, retryDelayMs: 50 });
    sfnApi = await startStepFunctionsApi(driver.stepFunctions, { stateMachineArn: driver.driver.arn });
    targets.states = sfnApi.endpoint;
    const routes = apiRoutes(app.template, resolver, functions);
    const handler = async (event: APIGatewayProxyEventV2) => {
      const fn = routes.get(event.routeKey);
      if (fn === undefined) throw new Error(`the template's API has no route ${event.routeKey}`);
      const result = (await fn.invoke(event)) as APIGatewayProxyStructuredResultV2;
      // As the local API does (local/api-runtime.ts): an accepted stop ends the job's idle wait now.
      const jobId = event.pathParameters?.jobId;
      if (event.routeKey === 'POST /jobs/{jobId}/stop' && result.statusCode === 202 && jobId) driver.stepFunctions.interruptWaits(jobId);
      return result;
    };
    api = await startApiServer({ handlers: { apiRead: handler, apiControl: handler }, port: 0 });
    const deployment: LocalDeployment = {
      resolver,
      functions,
      driver,
      api,
      calls,
      callers,
      logs: () => [...functions.values()].map((f) => `--- ${f.spec.logicalId}\n${f.logs().slice(-4000)}`).join('\n'),
      async close() {
        await Promise.race([driver.halt(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
        await close();
      },
    };
    return deployment;
  } catch (error) {
    await close();
    throw error;
  }
}

/** The template's tables (key schema, attributes, indexes as the template has them) and buckets, under their local names. */
async function createTemplateResources(template: Json, resolver: LocalResolver): Promise<void> {
  const clients = testAwsClients();
  for (const [id, r] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const p = resolver.resolve(r.Properties) as Json;
    const input: CreateTableCommandInput = {
      TableName: resolver.physicalName(id),
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      ...(p.GlobalSecondaryIndexes
        ? {
            GlobalSecondaryIndexes: (p.GlobalSecondaryIndexes as Json[]).map((g) => ({
              IndexName: g.IndexName,
              KeySchema: g.KeySchema,
              Projection: g.Projection,
            })),
          }
        : {}),
    };
    await clients.dynamodb.send(new CreateTableCommand(input));
  }
  for (const [id] of resourcesOfType(template, 'AWS::S3::Bucket')) await createBucket(clients.s3, resolver.physicalName(id));
}

/** Route key → the function its integration invokes (AWS::ApiGatewayV2::Route → Integration → IntegrationUri). */
function apiRoutes(template: Json, resolver: LocalResolver, functions: ReadonlyMap<string, BundledFunction>): Map<string, BundledFunction> {
  const byArn = new Map([...functions.values()].map((f) => [f.spec.arn, f]));
  const integrations = new Map(
    resourcesOfType(template, 'AWS::ApiGatewayV2::Integration').map(([id, r]) => [resolver.ref(id), r.Properties as Json]),
  );
  const routes = new Map<string, BundledFunction>();
  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    const target = resolver.resolveString(r.Properties.Target);
    const integration = integrations.get(/^integrations\/(.+)$/.exec(target)?.[1] ?? '');
    const uri = integration === undefined ? undefined : resolver.resolveString(integration.IntegrationUri);
    const fn = uri === undefined ? undefined : byArn.get(uri);
    if (fn === undefined)
      throw new Error(`route ${id} (${String(r.Properties.RouteKey)}) targets ${target} → ${uri}, no function of the template`);
    routes.set(String(r.Properties.RouteKey), fn);
  }
  return routes;
}

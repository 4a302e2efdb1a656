/**
 * The one way a Sluice Lambda function is built (the driver's tasks, the supervisor, the
 * jobs API): Node 24 on arm64, the SDK bundled in (a faster cold start than the runtime's
 * copy, and a pinned version), X-Ray tracing, its own log group with a retention, the
 * Powertools Logger's service name and level (functions/logger.ts), and, for the functions
 * that read Kafka, the cluster's VPC.
 *
 * Its role is its own and starts with no AWS managed policy: AWSLambdaBasicExecutionRole
 * would let it create and write any log group of the account. It may create streams in and
 * write to its own log group only (created here, with its retention; no
 * logs:CreateLogGroup), and, in a VPC, manage its network interfaces (what
 * AWSLambdaVPCAccessExecutionRole grants, without that policy's logs:* on every group).
 *
 * Every function runs the same bundle, functions/handlers.ts, with its own export as its
 * handler: the bundling options are the same for all, so the CDK's asset cache bundles
 * once per synthesis (one esbuild run instead of one per function) and the deployment
 * uploads one asset.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import * as handlers from '../../functions/handlers.js';
import { acknowledgeWildcards, acknowledgeWildcardsOn } from './nag-acknowledgements.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The module every function's bundle is built from (its exports are the handlers). */
export const HANDLERS_ENTRY = 'functions/handlers.ts';

/**
 * The handler export of a function module in HANDLERS_ENTRY: `functions/execute-groups.ts`
 * is `executeGroups`. A module it does not export fails synthesis, naming what to add.
 */
export function handlerExportOf(entry: string): string {
  const base = entry.replace(/^.*\//, '').replace(/\.ts$/, '');
  const name = base.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (typeof (handlers as Record<string, unknown>)[name] !== 'function') {
    throw new Error(
      `${entry} has no handler in ${HANDLERS_ENTRY}: add \`export const ${name} = lazy(() => import('./${base}.js'));\` there`,
    );
  }
  return name;
}

/**
 * What the functions' Powertools Logger reads (functions/logger.ts): every line names the
 * service `sluice` (the function's name tells the functions apart), and INFO and above are
 * written. A caller's `environment` may override either (DEBUG while investigating).
 */
export const FUNCTION_LOGGING_ENV = {
  POWERTOOLS_SERVICE_NAME: 'sluice',
  POWERTOOLS_LOG_LEVEL: 'INFO',
} as const;

export interface SluiceFunctionSpec {
  /** Handler module, from the repository root (its export is `handler`; HANDLERS_ENTRY loads it). */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly description: string;
}

export interface SluiceFunctionOptions {
  readonly logRetention: logs.RetentionDays;
  /** The construct id of its log group (default `<id>Logs`). */
  readonly logGroupId?: string;
  readonly environment?: Readonly<Record<string, string>>;
  /** Run in this VPC (the functions that read an MSK cluster). */
  readonly network?: SluiceFunctionNetwork;
}

export interface SluiceFunctionNetwork {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
}

export function sluiceFunction(
  scope: Construct,
  id: string,
  spec: SluiceFunctionSpec,
  options: SluiceFunctionOptions,
): nodejs.NodejsFunction {
  const network = options.network;
  const logGroup = new logs.LogGroup(scope, options.logGroupId ?? `${id}Logs`, { retention: options.logRetention });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${spec.description} (its own log group only)`.slice(0, 1000),
  });
  // The group's Arn attribute is `arn:...:log-group:<name>:*`: the group and its streams, no other group.
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, id, {
    entry: join(REPO_ROOT, HANDLERS_ENTRY),
    handler: handlerExportOf(spec.entry),
    description: spec.description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: spec.memoryMb,
    timeout: Duration.seconds(spec.timeoutSeconds),
    tracing: lambda.Tracing.ACTIVE,
    role,
    logGroup,
    environment: { NODE_OPTIONS: '--enable-source-maps', ...FUNCTION_LOGGING_ENV, ...options.environment },
    ...(network === undefined
      ? {}
      : {
          vpc: network.vpc,
          ...(network.vpcSubnets ? { vpcSubnets: network.vpcSubnets } : {}),
          securityGroups: [...network.securityGroups],
        }),
    bundling: {
      // Bundle SDK v3 (no externals): a faster cold start than the runtime's copy, and a pinned version.
      externalModules: [],
      minify: true,
      // Source maps for stack traces (NODE_OPTIONS --enable-source-maps), without the sources' text: a quarter the size.
      sourceMap: true,
      sourcesContent: false,
      target: 'node24',
    },
  });
  // Tracing added its statement to the role's DefaultPolicy.
  acknowledgeWildcards(role, [{ resource: '*', reason: X_RAY_REASON }]);
  if (network !== undefined) {
    // Lambda checks the role may manage network interfaces when the function is created: the policy comes first.
    const interfaces = new iam.Policy(scope, `${id}NetworkInterfaces`, {
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: [...NETWORK_INTERFACE_ACTIONS], resources: ['*'] })],
    });
    fn.node.addDependency(interfaces);
    acknowledgeWildcardsOn(interfaces, [{ resource: '*', reason: NETWORK_INTERFACES_REASON }]);
  }
  return fn;
}

/** What Lambda does with a VPC function's role (AWSLambdaVPCAccessExecutionRole's EC2 actions). */
export const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

const X_RAY_REASON =
  'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; nothing else in this policy is granted on *.';

const NETWORK_INTERFACES_REASON =
  `Lambda creates, describes and deletes the network interfaces of a function in a VPC with its role (${NETWORK_INTERFACE_ACTIONS.join(', ')}): ` +
  'the interfaces are made at run time, so their ids are unknown, and the Describe actions support no resource-level permissions. ' +
  'These are the EC2 actions of the AWS managed AWSLambdaVPCAccessExecutionRole, without its logs actions on every log group.';

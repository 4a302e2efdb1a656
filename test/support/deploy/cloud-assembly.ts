/**
 * The app as `cdk synth` builds it, bundles included, read back the way CloudFormation
 * and Lambda would read it: each function's asset directory (its Code.S3Key through the
 * asset manifest), handler and environment; each state machine's definition with its
 * DefinitionSubstitutions; each role's policies. Every intrinsic (Ref, Fn::GetAtt,
 * Fn::Join, Fn::Sub) resolves to a local name: `<prefix>-<logical id>` for a resource
 * without a name of its own, in account LOCAL_ACCOUNT and region LOCAL_REGION. An
 * intrinsic or attribute this reader does not know throws, naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addSluiceStacks } from '../../../infra/sluice-app.js';

export type Json = Record<string, any>;

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface SynthesizedApp {
  readonly dir: string;
  readonly template: Json;
  /** Asset id (the S3 object key without extension) → its directory in the cloud assembly. */
  readonly assets: ReadonlyMap<string, string>;
}

/** Synthesizes the app (with bundling, as `cdk synth` does) into a fresh directory; `context` adds to cdk.json's. */
export async function synthesizeApp(context: Json = {}): Promise<SynthesizedApp> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as { context: Json };
  const outdir = await mkdtemp(join(tmpdir(), 'sluice-cdk-out-'));
  // The CDK's own CloudFormation validation changes nothing in what is written and costs
  // seconds (test/infra/support.ts); `npx cdk synth` runs it in test/infra/sources.test.ts.
  const app = new App({ outdir, context: { ...cdkJson.context, ...context }, builtinCloudFormationValidation: false });
  const { stack } = addSluiceStacks(app);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const template = artifact.template as Json;
  const manifest = JSON.parse(readFileSync(join(assembly.directory, `${artifact.id}.assets.json`), 'utf8')) as Json;
  const assets = new Map<string, string>();
  for (const file of Object.values(manifest.files ?? {}) as Json[]) {
    for (const destination of Object.values(file.destinations) as Json[]) {
      assets.set(String(destination.objectKey), join(assembly.directory, file.source.path));
    }
  }
  return { dir: assembly.directory, template, assets };
}

/** Resolves the template's intrinsics to local names. */
export class LocalResolver {
  constructor(
    private readonly template: Json,
    private readonly prefix: string,
  ) {}

  resource(logicalId: string): Json {
    const resource = this.template.Resources?.[logicalId];
    if (resource === undefined) throw new Error(`the template has no resource ${logicalId}`);
    return resource as Json;
  }

  /** The physical name of a resource: its own name property, else `<prefix>-<logical id>` in lower case. */
  physicalName(logicalId: string): string {
    const { Type, Properties = {} } = this.resource(logicalId);
    const own = NAME_PROPERTIES[Type as string];
    const given = own === undefined ? undefined : Properties[own];
    if (given !== undefined) return String(this.resolve(given));
    return `${this.prefix}-${logicalId}`.toLowerCase().slice(0, 63);
  }

  ref(logicalId: string): string {
    const pseudo = PSEUDO[logicalId];
    if (pseudo !== undefined) return pseudo;
    const { Type } = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    switch (Type) {
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${name}`;
      default:
        return name;
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const { Type } = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    const arn = ARNS[Type as string];
    if (attribute === 'Arn' && arn !== undefined) return arn(name);
    if (attribute === 'Name' && Type === 'AWS::StepFunctions::StateMachine') return name;
    if (attribute === 'QueueName' && Type === 'AWS::SQS::Queue') return name;
    throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${Type}) has no local value`);
  }

  /** A template value with every intrinsic resolved. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Json);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && (key === 'Ref' || key?.startsWith('Fn::'))) return this.intrinsic(key, arg);
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(value)}`);
    return resolved;
  }

  private intrinsic(key: string, arg: any): unknown {
    switch (key) {
      case 'Ref':
        return this.ref(arg as string);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        return this.getAtt(id as string, attribute as string);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).join(separator);
      }
      case 'Fn::Sub': {
        const [text, variables = {}] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Json]);
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (Object.hasOwn(variables, name)) return String(this.resolve(variables[name]));
          const [id, attribute] = name.split('.');
          return attribute === undefined ? this.ref(id!) : this.getAtt(id!, attribute);
        });
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (this.resolve(list) as unknown[])[Number(index)];
      }
      default:
        throw new Error(`${key} has no local value: ${JSON.stringify(arg)}`);
    }
  }
}

const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** The property that names each resource type, when the template gives one. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Kinesis::Stream': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
};

const ARNS: Readonly<Record<string, (name: string) => string>> = {
  'AWS::DynamoDB::Table': (n) => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${n}`,
  'AWS::S3::Bucket': (n) => `arn:aws:s3:::${n}`,
  'AWS::Lambda::Function': (n) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${n}`,
  'AWS::StepFunctions::StateMachine': (n) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${n}`,
  'AWS::Kinesis::Stream': (n) => `arn:aws:kinesis:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stream/${n}`,
  'AWS::Logs::LogGroup': (n) => `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${n}:*`,
  'AWS::IAM::Role': (n) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/${n}`,
  'AWS::SQS::Queue': (n) => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${n}`,
  'AWS::SNS::Topic': (n) => `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${n}`,
};

/** A Lambda function of the template, as the Lambda service would run it. */
export interface TemplateFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** `index.plan`: the module (in the asset directory) and its export. */
  readonly handler: string;
  /** The module file the handler names, in the asset directory (index.js, .mjs or .cjs, as Lambda looks them up). */
  readonly file: string;
  readonly exportName: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Environment.Variables with every intrinsic resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** The logical id of its execution role. */
  readonly roleId: string;
}

export function templateFunctions(app: SynthesizedApp, resolver: LocalResolver): TemplateFunction[] {
  return resourcesOfType(app.template, 'AWS::Lambda::Function').map(([logicalId, r]) => {
    const p = r.Properties as Json;
    const key = resolver.resolveString(p.Code?.S3Key);
    const dir = app.assets.get(key);
    if (dir === undefined) throw new Error(`${logicalId}: its code ${key} is no asset of the cloud assembly`);
    const handler = String(p.Handler);
    const dot = handler.lastIndexOf('.');
    const module = handler.slice(0, dot);
    const file = ['.js', '.mjs', '.cjs'].map((ext) => join(dir, `${module}${ext}`)).find((f) => existsSync(f));
    if (dot <= 0 || file === undefined) throw new Error(`${logicalId}: handler ${handler} names no module in ${dir}`);
    const roleId = p.Role?.['Fn::GetAtt']?.[0];
    if (typeof roleId !== 'string') throw new Error(`${logicalId}: its Role is not a role of the template: ${JSON.stringify(p.Role)}`);
    const name = resolver.physicalName(logicalId);
    return {
      logicalId,
      name,
      arn: resolver.getAtt(logicalId, 'Arn'),
      handler,
      file,
      exportName: handler.slice(dot + 1),
      memoryMb: Number(p.MemorySize ?? 128),
      timeoutSeconds: Number(p.Timeout ?? 3),
      environment: resolver.resolve(p.Environment?.Variables ?? {}) as Record<string, string>,
      roleId,
    };
  });
}

export interface TemplateStateMachine {
  readonly logicalId: string;
  readonly arn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** DefinitionString with DefinitionSubstitutions applied, parsed. */
  readonly definition: Json;
  readonly roleId: string;
}

export function templateStateMachines(template: Json, resolver: LocalResolver): TemplateStateMachine[] {
  return resourcesOfType(template, 'AWS::StepFunctions::StateMachine').map(([logicalId, r]) => {
    const p = r.Properties as Json;
    const substitutions = resolver.resolve(p.DefinitionSubstitutions ?? {}) as Record<string, string>;
    const text = resolver.resolveString(p.DefinitionString).replace(/\$\{([A-Za-z0-9_]+)\}/g, (match, name: string) => {
      const value = substitutions[name];
      if (value === undefined) throw new Error(`${logicalId}: no DefinitionSubstitutions value for ${match}`);
      return value;
    });
    return {
      logicalId,
      arn: resolver.ref(logicalId),
      type: p.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      definition: JSON.parse(text) as Json,
      roleId: p.RoleArn?.['Fn::GetAtt']?.[0] as string,
    };
  });
}

export function resourcesOfType(template: Json, type: string): [string, Json][] {
  return Object.entries(template.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);
}

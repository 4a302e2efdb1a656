/**
 * Every wildcard the stack grants is acknowledged, on the policy that holds it, under the
 * exact finding id: each Allow statement of every IAM policy in the synthesized template
 * is read here (not through cdk-nag's rule), each resource whose ARN holds `*` and each
 * action that does is a finding, and the acknowledgements written on that policy
 * (Validations' metadata, what cdk-nag reads) must name it. An acknowledgement of
 * `Resource::*` must also name, in its reason, every action the policy grants on `*`, so
 * that a new grant on every resource cannot hide under the X-Ray one. Acknowledgements
 * sit on single resources only: never on a construct that groups several, or the stack.
 */
import { CfnResource, type Stack, Validations, type App } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addSluiceStacks } from '../../infra/sluice-app.js';
import type { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { testApp, type Json } from './support.js';

const POLICY_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);

interface Wildcard {
  readonly policy: CfnResource;
  /** `Resource::<arn>` or `Action::<action>`, as cdk-nag names the finding. */
  readonly finding: string;
  /** The actions the statement grants on it. */
  readonly actions: readonly string[];
}

/** Every wildcard of every Allow statement of every IAM policy (inline ones of roles, users and groups too). */
function wildcardsOf(stack: Stack): Wildcard[] {
  const out: Wildcard[] = [];
  for (const policy of stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c))) {
    if (!POLICY_TYPES.has(policy.cfnResourceType)) continue;
    // The resource as it is rendered into the template (its one entry), without synthesizing the app.
    const rendered = stack.resolve((policy as unknown as { _toCloudFormation(): Json })._toCloudFormation()) as { Resources: Json };
    const properties = (Object.values(rendered.Resources)[0] as Json).Properties as Json;
    const documents: Json[] = properties.PolicyDocument
      ? [properties.PolicyDocument]
      : ((properties.Policies ?? []) as Json[]).map((p) => p.PolicyDocument);
    for (const statement of documents.flatMap((d) => d.Statement as Json[])) {
      if (statement.Effect !== 'Allow') continue;
      // NotAction / NotResource grant everything else: no acknowledgement covers that.
      if (statement.NotAction !== undefined) out.push({ policy, finding: 'NotAction', actions: [] });
      if (statement.NotResource !== undefined) out.push({ policy, finding: 'NotResource', actions: [] });
      const actions = [statement.Action ?? []].flat() as string[];
      for (const action of actions.filter((a) => a.includes('*'))) out.push({ policy, finding: `Action::${action}`, actions: [action] });
      for (const resource of [statement.Resource ?? []].flat().map(flattenCfnReference)) {
        if (resource.includes('*')) out.push({ policy, finding: `Resource::${resource}`, actions });
      }
    }
  }
  return out;
}

/** The acknowledgements written on a resource itself, or on the L2 construct whose default child it is. */
function acknowledgedOn(resource: CfnResource): Map<string, string> {
  const owners: IConstruct[] = [resource];
  const parent = resource.node.scope;
  if (parent !== undefined && parent.node.defaultChild === resource) owners.push(parent);
  const out = new Map<string, string>();
  for (const owner of owners) {
    for (const entry of owner.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) out.set(id.replace(/^annotation::/i, ''), reason);
    }
  }
  return out;
}

/** Wildcards no acknowledgement on their own policy names. */
function unacknowledged(stack: Stack): string[] {
  return wildcardsOf(stack)
    .filter((w) => !acknowledgedOn(w.policy).has(`AwsSolutions-IAM5[${w.finding}]`))
    .map((w) => `${w.policy.node.path}: ${w.finding}`);
}

/** Actions granted on every resource that the `Resource::*` acknowledgement of their policy does not name. */
function unnamedOnEveryResource(stack: Stack): string[] {
  return wildcardsOf(stack)
    .filter((w) => w.finding === 'Resource::*')
    .flatMap((w) => {
      const reason = acknowledgedOn(w.policy).get('AwsSolutions-IAM5[Resource::*]') ?? '';
      return w.actions.filter((a) => !reason.includes(a)).map((a) => `${w.policy.node.path}: ${a} on *`);
    });
}

/** Every acknowledgement in the app: where it is written, its id and reason. */
function acknowledgements(app: App): { construct: IConstruct; id: string; reason: string }[] {
  return app.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((e) => Object.entries(e.data as Record<string, string>).map(([id, reason]) => ({ construct, id, reason }))),
    );
}

/** The CloudFormation resource an acknowledgement covers, or null when it is written on a construct that groups several. */
function resourceOf(construct: IConstruct): CfnResource | null {
  if (CfnResource.isCfnResource(construct)) return construct;
  const child = construct.node.defaultChild;
  return child !== undefined && CfnResource.isCfnResource(child) && construct.node.findAll().filter(CfnResource.isCfnResource).length === 1
    ? child
    : null;
}

const KAFKA_WITHOUT_TOPICS = {
  bootstrapServers: ['b-1.events.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'],
  clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/events/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2',
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: ['eu-west-1a'],
  privateSubnetIds: ['subnet-0123456789abcdef0'],
  privateSubnetRouteTableIds: ['rtb-0123456789abcdef0'],
  createGatewayEndpoints: false,
};

describe.each([
  ['the plain settings', {}],
  [
    'Kafka without topics, a file sink of its own bucket and one in the checkpoint bucket',
    { 'sluice:kafka': JSON.stringify(KAFKA_WITHOUT_TOPICS), 'sluice:sinkFiles': 's3://analytics-lake/orders,exports/orders' },
  ],
])('the wildcards of the stack with %s', (_, context) => {
  let app: App;
  let stack: SluiceStack;

  beforeAll(() => {
    app = testApp(context);
    stack = addSluiceStacks(app).stack;
  });

  it('are each acknowledged on the policy that grants them, under the exact finding id', () => {
    // The check has something to check: X-Ray on every function, the checkpoint prefixes, ...
    expect(wildcardsOf(stack).length).toBeGreaterThan(20);
    expect(unacknowledged(stack)).toEqual([]);
  });

  it('name in the reason of `Resource::*` every action granted on every resource', () => {
    expect(unnamedOnEveryResource(stack)).toEqual([]);
  });

  it('are acknowledged on single resources, by finding, with a reason, and each names a finding that exists', () => {
    const found = new Set(wildcardsOf(stack).map((w) => `${w.policy.node.path} AwsSolutions-IAM5[${w.finding}]`));
    const all = acknowledgements(app);
    expect(all.length).toBeGreaterThan(20);
    for (const { construct, id, reason } of all) {
      const resource = resourceOf(construct);
      expect(resource, `${id} on ${construct.node.path}`).not.toBeNull();
      expect(reason.length, `reason of ${id}`).toBeGreaterThanOrEqual(40);
      // A rule with findings is acknowledged by finding; a managed policy needs none (there are none).
      expect(id, construct.node.path).not.toMatch(/^AwsSolutions-IAM[45]$|^AwsSolutions-IAM4/);
      if (id.startsWith('AwsSolutions-IAM5['))
        expect(found.has(`${resource!.node.path} ${id}`), `${id} on ${construct.node.path}`).toBe(true);
    }
  });

  it('agree with cdk-nag: nothing unacknowledged', () => {
    app.synth();
    expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('the wildcard check', () => {
  it('reports a new wildcard action or resource that no acknowledgement names, as cdk-nag does', () => {
    const app = testApp();
    const { stack } = addSluiceStacks(app);
    stack.driver.functions.route.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:Get*'], resources: ['arn:aws:s3:::other/*'] }));

    const path = `${stack.driver.functions.route.role!.node.path}/DefaultPolicy/Resource`;
    expect(unacknowledged(stack)).toEqual([`${path}: Action::s3:Get*`, `${path}: Resource::arn:aws:s3:::other/*`]);
    expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName)).toEqual([
      'AwsSolutions-IAM5[Action::s3:Get*]',
      'AwsSolutions-IAM5[Resource::arn:aws:s3:::other/*]',
    ]);
  });

  it('reports an action on every resource that the X-Ray acknowledgement of its policy does not name', () => {
    const { stack } = addSluiceStacks(testApp());
    stack.driver.functions.route.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['*'] }));

    // cdk-nag takes it as acknowledged (same finding id): only this check sees it.
    expect(unacknowledged(stack)).toEqual([]);
    expect(unnamedOnEveryResource(stack)).toEqual([
      `${stack.driver.functions.route.role!.node.path}/DefaultPolicy/Resource: sqs:SendMessage on *`,
    ]);
  });

  it('does not count an acknowledgement written on a construct that groups several resources', () => {
    const app = testApp();
    const { stack } = addSluiceStacks(app);
    const policy = new iam.Policy(stack.driver, 'Broad', {
      roles: [stack.driver.functions.route.role!],
      statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::other/*'] })],
    });
    Validations.of(stack.driver).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:aws:s3:::other/*]',
      reason: 'covers the whole driver',
    });

    expect(unacknowledged(stack)).toEqual([`${policy.node.path}/Resource: Resource::arn:aws:s3:::other/*`]);
    const placed = acknowledgements(app).filter((a) => a.reason === 'covers the whole driver');
    expect(placed.map((a) => resourceOf(a.construct))).toEqual([null]);
  });
});

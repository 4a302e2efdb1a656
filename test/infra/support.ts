/** Helpers of the stack tests: the app `cdk synth` builds (without bundling), and reading a template's policies. */
import { readFileSync } from 'node:fs';
import { App, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

export type Json = Record<string, any>;

/**
 * The context `cdk synth` uses (cdk.json's feature flags), plus `extra`, without asset
 * bundling. The CDK's built-in CloudFormation validation (errors fail synthesis: cdk.json
 * sets validateAgainstDefaultRules) costs seconds per synthesis, so it runs only where a
 * test asks (`validate: true`: the stack with every source and sink) and in the
 * `npx cdk synth` test (sources.test.ts).
 */
export function testApp(extra: Json = {}, options: { readonly validate?: boolean } = {}): App {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Json };
  return new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...extra },
    builtinCloudFormationValidation: options.validate ?? false,
  });
}

export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** Every statement of the policies attached to a role. */
export function policyStatements(stack: Stack, template: Template, role: IConstruct): Json[] {
  const roleId = logicalId(stack, role);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((r) => JSON.stringify(r.Properties.Roles).includes(roleId))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Json[] }).Statement);
}

/** Actions a role is allowed, each with the resources (as CloudFormation JSON strings) it is allowed on. */
export function allowed(stack: Stack, template: Template, role: IConstruct): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const statement of policyStatements(stack, template, role)) {
    for (const action of [statement.Action].flat() as string[]) {
      out.set(action, [...(out.get(action) ?? []), ...[statement.Resource].flat().map((r) => JSON.stringify(r))]);
    }
  }
  return out;
}

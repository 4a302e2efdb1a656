/**
 * cdk-nag acknowledgements, each on the one resource it covers and under the exact id
 * cdk-nag gives the finding: `AwsSolutions-IAM5[Resource::<arn>]` or
 * `AwsSolutions-IAM5[Action::<action>]` on the policy that holds the grant, a rule
 * without findings (`AwsSolutions-SQS3`) on its resource. Never on a construct that groups
 * several resources, and never by rule id alone on a policy: a new wildcard elsewhere, or
 * another wildcard in the same policy, is still a finding.
 *
 * cdk-nag 3 reads acknowledgements from `Validations.of(construct).acknowledge()` on the
 * resource or one of its parents (its NagPack.isAcknowledged); this module only ever
 * writes them on the CloudFormation resource itself. test/infra/wildcard-grants.test.ts
 * checks every wildcard of the synthesized stack against them.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
// How cdk-nag itself names a resource in a finding (`<id.Arn>/jobs/*`).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/** A wildcard granted on purpose: a resource whose ARN holds `*`, or an action that does, and why. */
export type WildcardGrant = { readonly resource: string; readonly reason: string } | { readonly action: string; readonly reason: string };

/**
 * Acknowledges wildcards in the policy statements added to `role` land in (its
 * DefaultPolicy, created by the first statement). A `Resource::*` reason names every
 * action granted on `*` in that policy: the test holds it to that.
 */
export function acknowledgeWildcards(role: iam.IRole | undefined, grants: readonly WildcardGrant[]): void {
  acknowledgeWildcardsOn(defaultPolicyOf(role), grants);
}

/**
 * Acknowledges wildcards granted to `grantee` (a function, a state machine: their role),
 * next to the grant. A grantee that is no role is left to cdk-nag, which reports it.
 */
export function acknowledgeGranted(grantee: iam.IGrantable, grants: readonly WildcardGrant[]): void {
  const principal = grantee.grantPrincipal;
  if (principal instanceof iam.Role) acknowledgeWildcards(principal, grants);
}

/** The same, on a given policy (a construct whose default child is the AWS::IAM::Policy). */
export function acknowledgeWildcardsOn(policy: IConstruct, grants: readonly WildcardGrant[]): void {
  const stack = Stack.of(policy);
  acknowledgeOn(
    policy,
    grants.map((grant) => ({
      id:
        'resource' in grant
          ? `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(grant.resource))}]`
          : `AwsSolutions-IAM5[Action::${grant.action}]`,
      reason: grant.reason,
    })),
  );
}

/** Acknowledges rules on one resource: `construct` itself, or the CloudFormation resource it wraps. */
export function acknowledgeOn(construct: IConstruct, rules: readonly { readonly id: string; readonly reason: string }[]): void {
  const resource = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (resource === undefined || !CfnResource.isCfnResource(resource)) {
    throw new Error(`${construct.node.path} is no CloudFormation resource: acknowledge cdk-nag rules on the resource they cover`);
  }
  Validations.of(resource).acknowledge(...rules);
}

/** The policy statements added to a role land in (iam.Role's `DefaultPolicy`). */
export function defaultPolicyOf(role: iam.IRole | undefined): IConstruct {
  const policy = role?.node.tryFindChild('DefaultPolicy');
  if (policy === undefined) throw new Error(`${role?.node.path ?? 'a role'} has no DefaultPolicy: acknowledge after granting`);
  return policy;
}

/**
 * The IAM check of a run: each recorded call, turned into what IAM checks
 * (../iam/aws-call-iam.ts), evaluated against the policies the synthesized template gives
 * the caller's role (inline, customer managed, and the default policies CDK attaches),
 * with the bucket policies of the S3 buckets it touches (../iam/iam-policy.ts). AWS
 * managed policies (by ARN) have no text here and allow nothing in this check: a call only
 * they would allow is reported as refused, and their ARNs are listed.
 */
import { iamRequestsOf } from '../iam/aws-call-iam.js';
import { evaluate, grantsOf, grantUsedBy, type Grant, type IamRequest, type NamedPolicy, type PolicyStatement } from '../iam/iam-policy.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, resourcesOfType, type Json, type LocalResolver } from './cloud-assembly.js';
import type { RecordedCall } from './recording-proxy.js';

export interface RolePolicies {
  readonly policies: readonly NamedPolicy[];
  /** AWS managed policies attached by ARN (not evaluated). */
  readonly managedArns: readonly string[];
}

export function rolePolicies(template: Json, resolver: LocalResolver, roleId: string): RolePolicies {
  const role = resolver.resource(roleId);
  const attachedTo = (r: Json) => ((r.Properties.Roles ?? []) as Json[]).some((x) => x.Ref === roleId);
  const named = (name: string, document: Json): NamedPolicy => ({
    name,
    statements: [(resolver.resolve(document) as Json).Statement].flat() as PolicyStatement[],
  });
  const policies: NamedPolicy[] = [
    ...((role.Properties.Policies ?? []) as Json[]).map((p) => named(`${roleId}/${String(p.PolicyName)}`, p.PolicyDocument)),
    ...resourcesOfType(template, 'AWS::IAM::Policy')
      .filter(([, r]) => attachedTo(r))
      .map(([id, r]) => named(id, r.Properties.PolicyDocument)),
  ];
  const managedArns: string[] = [];
  for (const arn of (role.Properties.ManagedPolicyArns ?? []) as unknown[]) {
    const ref = (arn as Json)?.Ref;
    if (typeof ref === 'string' && resolver.resource(ref).Type === 'AWS::IAM::ManagedPolicy') continue;
    managedArns.push(String(resolver.resolve(arn)));
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::IAM::ManagedPolicy')) {
    const byRole = ((role.Properties.ManagedPolicyArns ?? []) as Json[]).some((x) => x?.Ref === id);
    if (byRole || attachedTo(r)) policies.push(named(id, r.Properties.PolicyDocument));
  }
  return { policies, managedArns };
}

/** Bucket name → its bucket policy. */
export function bucketPolicies(template: Json, resolver: LocalResolver): Map<string, NamedPolicy> {
  return new Map(
    resourcesOfType(template, 'AWS::S3::BucketPolicy').map(([id, r]) => [
      resolver.resolveString(r.Properties.Bucket),
      { name: id, statements: [(resolver.resolve(r.Properties.PolicyDocument) as Json).Statement].flat() as PolicyStatement[] },
    ]),
  );
}

export interface Refusal {
  readonly caller: string;
  readonly call: string;
  readonly request: IamRequest;
  readonly decision: string;
}

export interface IamReport {
  readonly refused: readonly Refusal[];
  /** Per caller, the grants no recorded call used. */
  readonly unused: ReadonlyMap<string, readonly Grant[]>;
  /** Per caller, the distinct (action, resource) pairs checked. */
  readonly checked: ReadonlyMap<string, ReadonlySet<string>>;
  readonly managedArns: ReadonlyMap<string, readonly string[]>;
}

/**
 * Checks every call of `callers` (logical id → its role's logical id). A call from a
 * caller not in the map, or one that failed as a whole because no stand-in serves its
 * service (501), is a refusal too.
 */
export function checkCalls(
  template: Json,
  resolver: LocalResolver,
  callers: ReadonlyMap<string, string>,
  calls: readonly RecordedCall[],
): IamReport {
  const buckets = bucketPolicies(template, resolver);
  const roles = new Map([...callers].map(([caller, roleId]) => [caller, rolePolicies(template, resolver, roleId)]));
  const refused: Refusal[] = [];
  const used = new Map<string, Set<Grant>>();
  const checked = new Map<string, Set<string>>();
  const grants = new Map([...roles].map(([caller, r]) => [caller, grantsOf(r.policies)]));
  for (const call of calls) {
    const role = roles.get(call.caller);
    const label = `${call.service} ${call.operation}`;
    if (role === undefined || call.status === 501) {
      refused.push({
        caller: call.caller,
        call: label,
        request: { action: label, resource: '?' },
        decision: role ? 'no stand-in' : 'unknown caller',
      });
      continue;
    }
    for (const request of iamRequestsOf(call, { region: LOCAL_REGION, account: LOCAL_ACCOUNT })) {
      checked.set(call.caller, (checked.get(call.caller) ?? new Set()).add(`${request.action} ${request.resource}`));
      const bucket = /^arn:aws:s3:::([^/]+)/.exec(request.resource)?.[1];
      const resourcePolicy = bucket === undefined ? undefined : buckets.get(bucket);
      const decision = evaluate(request, role.policies, resourcePolicy ? [resourcePolicy] : []);
      if (decision.decision !== 'allow') {
        refused.push({ caller: call.caller, call: label, request, decision: decision.decision });
        continue;
      }
      for (const grant of grants.get(call.caller)!) {
        if (grantUsedBy(grant, request, decision.statements)) used.set(call.caller, (used.get(call.caller) ?? new Set()).add(grant));
      }
    }
  }
  const unused = new Map([...grants].map(([caller, list]) => [caller, list.filter((g) => !used.get(caller)?.has(g))]));
  return { refused, unused, checked, managedArns: new Map([...roles].map(([caller, r]) => [caller, r.managedArns])) };
}

/** The report as text: refusals first, then each caller's unused grants. */
export function formatIamReport(report: IamReport): string {
  const lines: string[] = [];
  for (const r of report.refused)
    lines.push(`REFUSED ${r.caller}: ${r.call} → ${r.request.action} on ${r.request.resource} (${r.decision})`);
  for (const [caller, grants] of report.unused) {
    const checked = report.checked.get(caller)?.size ?? 0;
    lines.push(`${caller}: ${checked} distinct action/resource pairs called; ${grants.length} grants unused`);
    // One line per statement and resource: the actions of it no call used.
    const byResource = new Map<string, string[]>();
    for (const g of grants) {
      const key = `${g.policy} #${g.index} ${g.resource}`;
      byResource.set(key, [...(byResource.get(key) ?? []), g.action]);
    }
    for (const [key, actions] of byResource) lines.push(`  unused ${key}: ${actions.join(', ')}`);
    const managed = report.managedArns.get(caller) ?? [];
    if (managed.length > 0) lines.push(`  AWS managed policies, not evaluated: ${managed.join(', ')}`);
  }
  return lines.join('\n');
}

/**
 * IAM policy evaluation for one request, as AWS documents it for a principal and a
 * resource of the same account: an explicit Deny in any policy wins; otherwise an Allow in
 * the principal's policies or in the resource's policy (a statement whose Principal names
 * everyone) allows; otherwise the request is implicitly denied. Pure: statements in (with
 * their intrinsics already resolved to strings), a decision out.
 *
 * Action matching ignores case; resource matching does not; both take `*` and `?`
 * wildcards. Conditions: the string, ARN, numeric, Bool and Null operators, each with an
 * `IfExists` form; a key missing from the request's context makes a condition false (true
 * for `...IfExists`). Any other operator (ForAnyValue:, ForAllValues:, dates, IP
 * addresses, policy variables in values) throws, naming it: a check that silently
 * ignored a condition would allow what AWS refuses.
 */

export type Effect = 'Allow' | 'Deny';
export type OneOrMany<T> = T | readonly T[];

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: Effect;
  readonly Action?: OneOrMany<string>;
  readonly NotAction?: OneOrMany<string>;
  readonly Resource?: OneOrMany<string>;
  readonly NotResource?: OneOrMany<string>;
  readonly Principal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, OneOrMany<string | number | boolean>>>>>;
}

/** A policy's statements and where they come from (for messages and the unused-grant list). */
export interface NamedPolicy {
  readonly name: string;
  readonly statements: readonly PolicyStatement[];
}

export interface IamRequest {
  /** `service:Action`, e.g. `dynamodb:PutItem`. */
  readonly action: string;
  /** The resource ARN, or `*` for an action on no resource. */
  readonly resource: string;
  /** Condition keys of the request (aws:SecureTransport, s3:prefix, ...). */
  readonly context?: Readonly<Record<string, OneOrMany<string>>>;
}

export interface StatementRef {
  readonly policy: string;
  readonly index: number;
}

export interface IamDecision {
  readonly decision: 'allow' | 'explicitDeny' | 'implicitDeny';
  /** The statements that allowed it (allow) or denied it (explicitDeny). */
  readonly statements: readonly StatementRef[];
}

/**
 * Evaluates a request against the principal's identity policies and, when given, the
 * resource's policies. Resource-policy statements count only when their Principal is
 * everyone (`"*"` or `{ AWS: "*" }`): a service principal's grant is not the caller's.
 */
export function evaluate(request: IamRequest, identity: readonly NamedPolicy[], resource: readonly NamedPolicy[] = []): IamDecision {
  const denies: StatementRef[] = [];
  const allows: StatementRef[] = [];
  const visit = (policy: NamedPolicy, everyoneOnly: boolean) =>
    policy.statements.forEach((statement, index) => {
      if (everyoneOnly && !namesEveryone(statement.Principal)) return;
      if (!statementMatches(statement, request)) return;
      (statement.Effect === 'Deny' ? denies : allows).push({ policy: policy.name, index });
    });
  for (const policy of identity) visit(policy, false);
  for (const policy of resource) visit(policy, true);
  if (denies.length > 0) return { decision: 'explicitDeny', statements: denies };
  if (allows.length > 0) return { decision: 'allow', statements: allows };
  return { decision: 'implicitDeny', statements: [] };
}

export function statementMatches(statement: PolicyStatement, request: IamRequest): boolean {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') throw new Error(`unknown Effect ${String(statement.Effect)}`);
  if (!matchesEither(statement.Action, statement.NotAction, (p) => wildcardMatch(p, request.action, true))) return false;
  if (!matchesEither(statement.Resource, statement.NotResource, (p) => wildcardMatch(p, request.resource, false))) return false;
  return conditionsHold(statement.Condition ?? {}, request.context ?? {});
}

function matchesEither(
  positive: OneOrMany<string> | undefined,
  negative: OneOrMany<string> | undefined,
  match: (pattern: string) => boolean,
): boolean {
  if (positive !== undefined) return list(positive).some(match);
  if (negative !== undefined) return !list(negative).some(match);
  throw new Error('a statement needs Action or NotAction, and Resource or NotResource');
}

/** IAM's wildcards: `*` any run of characters, `?` any one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

type Compare = (given: string, expected: string) => boolean;

const numeric =
  (test: (a: number, b: number) => boolean): Compare =>
  (given, expected) =>
    Number.isFinite(Number(given)) && test(Number(given), Number(expected));

/** The operators, by name without `IfExists`; a negated one holds when no value matches. */
const OPERATORS: Readonly<Record<string, { readonly compare: Compare; readonly negated?: boolean }>> = {
  StringEquals: { compare: (a, b) => a === b },
  StringNotEquals: { compare: (a, b) => a === b, negated: true },
  StringEqualsIgnoreCase: { compare: (a, b) => a.toLowerCase() === b.toLowerCase() },
  StringNotEqualsIgnoreCase: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: true },
  StringLike: { compare: (a, b) => wildcardMatch(b, a, false) },
  StringNotLike: { compare: (a, b) => wildcardMatch(b, a, false), negated: true },
  ArnEquals: { compare: (a, b) => a === b },
  ArnNotEquals: { compare: (a, b) => a === b, negated: true },
  ArnLike: { compare: (a, b) => wildcardMatch(b, a, false) },
  ArnNotLike: { compare: (a, b) => wildcardMatch(b, a, false), negated: true },
  NumericEquals: { compare: numeric((a, b) => a === b) },
  NumericNotEquals: { compare: numeric((a, b) => a === b), negated: true },
  NumericLessThan: { compare: numeric((a, b) => a < b) },
  NumericLessThanEquals: { compare: numeric((a, b) => a <= b) },
  NumericGreaterThan: { compare: numeric((a, b) => a > b) },
  NumericGreaterThanEquals: { compare: numeric((a, b) => a >= b) },
  Bool: { compare: (a, b) => a.toLowerCase() === b.toLowerCase() },
};

function conditionsHold(
  conditions: NonNullable<PolicyStatement['Condition']>,
  context: Readonly<Record<string, OneOrMany<string>>>,
): boolean {
  return Object.entries(conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, list(expected).map(String), context)),
  );
}

function conditionHolds(
  operator: string,
  key: string,
  expected: readonly string[],
  context: Readonly<Record<string, OneOrMany<string>>>,
): boolean {
  const present = Object.hasOwn(context, key);
  if (operator === 'Null') {
    // Null: "true" holds when the key is absent, "false" when it is present.
    return expected.some((e) => (e.toLowerCase() === 'true') !== present);
  }
  const ifExists = operator.endsWith('IfExists');
  const name = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  const op = OPERATORS[name];
  if (op === undefined) throw new Error(`condition operator ${operator} (on ${key}) is not supported by this evaluator`);
  if (expected.some((e) => e.includes('${')))
    throw new Error(`policy variables in condition values are not supported (${key}: ${expected.join(', ')})`);
  if (!present) return ifExists;
  const given = list(context[key]!);
  const any = given.some((g) => expected.some((e) => op.compare(g, e)));
  return op.negated ? !any : any;
}

function namesEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
  return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
}

function list<T>(value: OneOrMany<T>): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** One grant of an Allow statement: an action pattern on a resource pattern. */
export interface Grant {
  readonly policy: string;
  readonly index: number;
  readonly action: string;
  readonly resource: string;
}

/** Every (action, resource) pair the Allow statements of the policies name (NotAction/NotResource as `!pattern`). */
export function grantsOf(policies: readonly NamedPolicy[]): Grant[] {
  return policies.flatMap((policy) =>
    policy.statements.flatMap((statement, index) => {
      if (statement.Effect !== 'Allow') return [];
      const actions = statement.Action === undefined ? list(statement.NotAction ?? []).map((a) => `!${a}`) : list(statement.Action);
      const resources = statement.Resource === undefined ? list(statement.NotResource ?? []).map((r) => `!${r}`) : list(statement.Resource);
      return actions.flatMap((action) => resources.map((resource) => ({ policy: policy.name, index, action, resource })));
    }),
  );
}

/** Whether an allowed request used a grant: the grant's statement allowed it, and its own action and resource match. */
export function grantUsedBy(grant: Grant, request: IamRequest, allowedBy: readonly StatementRef[]): boolean {
  if (!allowedBy.some((s) => s.policy === grant.policy && s.index === grant.index)) return false;
  const matches = (pattern: string, value: string, ignoreCase: boolean) =>
    pattern.startsWith('!') ? !wildcardMatch(pattern.slice(1), value, ignoreCase) : wildcardMatch(pattern, value, ignoreCase);
  return matches(grant.action, request.action, true) && matches(grant.resource, request.resource, false);
}

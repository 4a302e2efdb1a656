/**
 * The IAM evaluator of the deploy-fidelity check (test/support/iam/iam-policy.ts): explicit
 * Deny wins, Allow from identity or an everyone-principal resource policy, wildcards,
 * conditions, and a loud refusal of what it cannot evaluate.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, grantsOf, grantUsedBy, wildcardMatch, type NamedPolicy } from '../../support/iam/iam-policy.js';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/wal';
const BUCKET = 'arn:aws:s3:::checkpoints';

const identity: NamedPolicy = {
  name: 'role-policy',
  statements: [
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: TABLE },
    { Effect: 'Allow', Action: 's3:*Object', Resource: `${BUCKET}/jobs/*` },
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET },
    { Effect: 'Deny', Action: 's3:DeleteObject', Resource: `${BUCKET}/jobs/locked/*` },
  ],
};

describe('evaluate', () => {
  it('allows an action and resource an Allow statement names, naming the statement', () => {
    // Act
    const decision = evaluate({ action: 'dynamodb:PutItem', resource: TABLE }, [identity]);

    // Assess
    expect(decision).toEqual({ decision: 'allow', statements: [{ policy: 'role-policy', index: 0 }] });
  });

  it('matches actions without regard to case, resources with it', () => {
    expect(evaluate({ action: 'DynamoDB:getitem', resource: TABLE }, [identity]).decision).toBe('allow');
    expect(evaluate({ action: 'dynamodb:GetItem', resource: TABLE.toUpperCase() }, [identity]).decision).toBe('implicitDeny');
  });

  it('denies implicitly what no statement allows: another table, another action, another prefix', () => {
    expect(evaluate({ action: 'dynamodb:GetItem', resource: `${TABLE}-2` }, [identity]).decision).toBe('implicitDeny');
    expect(evaluate({ action: 'dynamodb:Scan', resource: TABLE }, [identity]).decision).toBe('implicitDeny');
    expect(evaluate({ action: 's3:GetObject', resource: `${BUCKET}/exchange/a` }, [identity]).decision).toBe('implicitDeny');
  });

  it('expands * and ? in actions and resources', () => {
    expect(evaluate({ action: 's3:GetObject', resource: `${BUCKET}/jobs/a/b/c` }, [identity]).decision).toBe('allow');
    expect(evaluate({ action: 's3:PutObject', resource: `${BUCKET}/jobs/x` }, [identity]).decision).toBe('allow');
    expect(wildcardMatch('arn:aws:s3:::b/v?', 'arn:aws:s3:::b/v1', false)).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::b/v?', 'arn:aws:s3:::b/v12', false)).toBe(false);
    expect(wildcardMatch('a.b', 'axb', false)).toBe(false);
  });

  it('lets an explicit Deny win over an Allow', () => {
    const decision = evaluate({ action: 's3:DeleteObject', resource: `${BUCKET}/jobs/locked/1` }, [identity]);
    expect(decision).toEqual({ decision: 'explicitDeny', statements: [{ policy: 'role-policy', index: 3 }] });
  });

  it('applies NotAction and NotResource', () => {
    const policy: NamedPolicy = { name: 'p', statements: [{ Effect: 'Allow', NotAction: 'iam:*', NotResource: `${BUCKET}/secret/*` }] };
    expect(evaluate({ action: 's3:GetObject', resource: `${BUCKET}/jobs/1` }, [policy]).decision).toBe('allow');
    expect(evaluate({ action: 'iam:PassRole', resource: '*' }, [policy]).decision).toBe('implicitDeny');
    expect(evaluate({ action: 's3:GetObject', resource: `${BUCKET}/secret/1` }, [policy]).decision).toBe('implicitDeny');
  });

  it("counts a resource policy's statements for everyone, not a service principal's", () => {
    const bucketPolicy: NamedPolicy = {
      name: 'bucket-policy',
      statements: [
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        { Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: `${BUCKET}/logs/*` },
        { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${BUCKET}/public/*` },
      ],
    };
    const secure = { 'aws:SecureTransport': 'true' };
    expect(evaluate({ action: 's3:GetObject', resource: `${BUCKET}/jobs/1`, context: secure }, [identity], [bucketPolicy]).decision).toBe(
      'allow',
    );
    expect(
      evaluate(
        { action: 's3:GetObject', resource: `${BUCKET}/jobs/1`, context: { 'aws:SecureTransport': 'false' } },
        [identity],
        [bucketPolicy],
      ),
    ).toEqual({ decision: 'explicitDeny', statements: [{ policy: 'bucket-policy', index: 0 }] });
    expect(evaluate({ action: 's3:PutObject', resource: `${BUCKET}/logs/1`, context: secure }, [identity], [bucketPolicy]).decision).toBe(
      'implicitDeny',
    );
    expect(evaluate({ action: 's3:GetObject', resource: `${BUCKET}/public/1`, context: secure }, [], [bucketPolicy]).decision).toBe(
      'allow',
    );
  });
});

describe('conditions', () => {
  const withCondition = (Condition: NonNullable<NamedPolicy['statements'][number]['Condition']>): NamedPolicy[] => [
    { name: 'p', statements: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET, Condition }] },
  ];
  const list = (context: Record<string, string>) => ({ action: 's3:ListBucket', resource: BUCKET, context });

  it('StringLike and StringEquals hold when any value matches; a missing key fails them', () => {
    const policies = withCondition({ StringLike: { 's3:prefix': ['jobs/*', 'exchange/*'] } });
    expect(evaluate(list({ 's3:prefix': 'jobs/a/' }), policies).decision).toBe('allow');
    expect(evaluate(list({ 's3:prefix': 'other/' }), policies).decision).toBe('implicitDeny');
    expect(evaluate(list({}), policies).decision).toBe('implicitDeny');
    expect(evaluate(list({ 'aws:SourceAccount': '1' }), withCondition({ StringEquals: { 'aws:SourceAccount': '1' } })).decision).toBe(
      'allow',
    );
  });

  it('IfExists holds on a missing key; negated operators hold when no value matches', () => {
    expect(evaluate(list({}), withCondition({ StringLikeIfExists: { 's3:prefix': 'jobs/*' } })).decision).toBe('allow');
    expect(evaluate(list({ 's3:prefix': 'x/' }), withCondition({ StringNotLike: { 's3:prefix': 'jobs/*' } })).decision).toBe('allow');
    expect(evaluate(list({ 's3:prefix': 'jobs/1' }), withCondition({ StringNotLike: { 's3:prefix': 'jobs/*' } })).decision).toBe(
      'implicitDeny',
    );
  });

  it('compares numbers, booleans, ARNs and Null', () => {
    expect(evaluate(list({ 's3:TlsVersion': '1.3' }), withCondition({ NumericLessThan: { 's3:TlsVersion': 1.2 } })).decision).toBe(
      'implicitDeny',
    );
    expect(evaluate(list({ 's3:TlsVersion': '1.1' }), withCondition({ NumericLessThan: { 's3:TlsVersion': 1.2 } })).decision).toBe('allow');
    expect(evaluate(list({ 'aws:SecureTransport': 'TRUE' }), withCondition({ Bool: { 'aws:SecureTransport': 'true' } })).decision).toBe(
      'allow',
    );
    const arn = 'arn:aws:states:us-east-1:0:stateMachine:driver';
    expect(
      evaluate(list({ 'aws:SourceArn': arn }), withCondition({ ArnLike: { 'aws:SourceArn': 'arn:aws:states:*:*:stateMachine:*' } }))
        .decision,
    ).toBe('allow');
    expect(evaluate(list({}), withCondition({ Null: { 'aws:SourceArn': 'true' } })).decision).toBe('allow');
    expect(evaluate(list({ 'aws:SourceArn': arn }), withCondition({ Null: { 'aws:SourceArn': 'true' } })).decision).toBe('implicitDeny');
  });

  it('refuses an operator it cannot evaluate, naming it', () => {
    const policies = withCondition({ 'ForAnyValue:StringEquals': { 'dynamodb:Attributes': ['pk'] } });
    expect(() => evaluate(list({}), policies)).toThrow(
      /condition operator ForAnyValue:StringEquals \(on dynamodb:Attributes\) is not supported/,
    );
    expect(() => evaluate(list({}), withCondition({ DateGreaterThan: { 'aws:CurrentTime': '2026-01-01' } }))).toThrow(/DateGreaterThan/);
  });
});

describe('grants', () => {
  it('lists each action and resource of the Allow statements, and which a request used', () => {
    // Arrange
    const grants = grantsOf([identity]);
    const request = { action: 'dynamodb:GetItem', resource: TABLE };

    // Act
    const { statements } = evaluate(request, [identity]);
    const used = grants.filter((g) => grantUsedBy(g, request, statements));

    // Assess
    expect(grants).toHaveLength(4);
    expect(used).toEqual([{ policy: 'role-policy', index: 0, action: 'dynamodb:GetItem', resource: TABLE }]);
  });
});

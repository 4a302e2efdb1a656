/**
 * The whole app with every source and sink (infra/sluice-app.ts): cdk-nag on it with the
 * CDK's CloudFormation validation, and `npx cdk synth` of the app offline with its
 * functions bundled. The sources one by one: sources-context.test.ts (from CDK context),
 * kafka-in-code.test.ts (Kafka given in code).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { addSluiceStacks } from '../../infra/sluice-app.js';
import { FULL_CONTEXT, KAFKA_CONTEXT } from '../support/source-context.js';
import { testApp, type Json } from './support.js';

describe('cdk-nag on a stack with every source, sink and the alarm topic', () => {
  it('reports nothing unacknowledged, and every acknowledgement has its reason', () => {
    // With the CDK's CloudFormation validation too: every kind of resource the stack makes is here.
    const app = testApp({ ...FULL_CONTEXT, 'sluice:kafka': JSON.stringify({ ...KAFKA_CONTEXT, topics: undefined }) }, { validate: true });
    const { stack } = addSluiceStacks(app);
    app.synth();
    const findings = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(stack.sources.kafka!.wildcardResources).toHaveLength(1);
  });
});

describe('npx cdk synth', () => {
  it('synthesizes the app offline, cdk-nag included, with the functions bundled', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sluice-synth-'));
    try {
      // Bundling on, as `npx cdk synth --quiet` does on a fresh clone; no credentials, no network.
      const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', CDK_DISABLE_VERSION_CHECK: 'true' };
      await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', out], { env, timeout: 280_000 });
      const template = JSON.parse(await readFile(join(out, 'Sluice.template.json'), 'utf8')) as { Resources: Record<string, Json> };
      const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
      expect(functions).toHaveLength(10);
      for (const fn of functions) expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
      // One bundle (functions/handlers.ts) for all, each function its own export.
      expect(new Set(functions.map((fn) => fn.Properties.Code.S3Key)).size).toBe(1);
      expect(functions.map((fn) => fn.Properties.Handler)).toEqual(
        expect.arrayContaining(['index.plan', 'index.executeGroups', 'index.apiRead']),
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 300_000);
});

/**
 * The file sinks of a deployment (s3FileSink), from CDK context or props like the sink
 * tables: the executors put objects under each prefix, Finish and Plan commit the log,
 * and no function may delete a data file.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { allowed, logicalId, testApp } from './support.js';

describe('file sink grants', () => {
  let stack: SluiceStack;
  let template: Template;
  const grants = (name: keyof SluiceStack['driver']['functions'], action: string) =>
    (allowed(stack, template, stack.driver.functions[name].role!).get(action) ?? []).join(' ');

  beforeAll(() => {
    stack = new SluiceStack(testApp({ 'sluice:sinkFiles': 'lake/views,s3://analytics-lake/clicks' }), 'Sluice');
    template = Template.fromStack(stack);
  });

  it('lets both executor stages put files under each prefix, in the checkpoint bucket or another', () => {
    expect(stack.sinkFiles.map((f) => f.prefix)).toEqual(['lake/views', 'clicks']);
    const checkpoint = logicalId(stack, stack.storage.checkpointBucket);
    for (const name of ['execute', 'executeGroups'] as const) {
      const puts = grants(name, 's3:PutObject');
      expect(puts).toContain('/lake/views/*');
      expect(puts).toContain(checkpoint);
      expect(puts).toContain('arn:');
      expect(puts).toContain('analytics-lake/clicks/*');
    }
  });

  it('lets Finish and Plan (which repairs a missing log entry) write the log and manifests, and list only those', () => {
    for (const name of ['finish', 'plan'] as const) {
      const writes = grants(name, 's3:PutObject');
      expect(writes).toContain('/lake/views/_sluice_log/*');
      expect(writes).toContain('/lake/views/_symlink_format_manifest/*');
      expect(writes).toContain('analytics-lake/clicks/_sluice_staged/*');
      expect(writes).not.toContain('/lake/views/*"');
    }
    const statements = JSON.stringify(template.toJSON());
    expect(statements).toContain('lake/views/_sluice_staged/*');
  });

  it('lets no function delete a data file: only superseded Athena manifests and log-side objects', () => {
    for (const name of ['execute', 'executeGroups', 'finish', 'plan', 'route'] as const) {
      const deletes = grants(name, 's3:DeleteObject');
      expect(deletes).not.toContain('/lake/views/*"');
      expect(deletes).not.toContain('analytics-lake/clicks/*"');
    }
    expect(grants('finish', 's3:DeleteObject')).toContain('/lake/views/_symlink_format_manifest/*');
  });

  it('takes the locations from props too', () => {
    const fromProps = new SluiceStack(testApp(), 'Sluice', { sinks: { files: ['exports/orders/'] } });
    const puts = (
      allowed(fromProps, Template.fromStack(fromProps), fromProps.driver.functions.executeGroups.role!).get('s3:PutObject') ?? []
    ).join(' ');
    expect(fromProps.sinkFiles).toEqual([{ prefix: 'exports/orders' }]);
    expect(puts).toContain('/exports/orders/*');
  });
});

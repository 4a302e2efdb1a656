/**
 * The grants of the lookup join: the executors may BatchGetItem on the lookup tables the
 * deployment names (props or `-c sluice:lookupTables=`) and nothing else on them, get and
 * put lookup records under their prefix; the commit (Finish) may delete them; no other
 * function touches either.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { LOOKUP_PREFIX } from '../../engine/protocol/lookup-record.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { allowed, logicalId, testApp } from './support.js';

function stackWith(args: { props?: ConstructorParameters<typeof SluiceStack>[2]; context?: Record<string, unknown> }) {
  const stack = new SluiceStack(testApp(args.context ?? {}), 'Sluice', args.props ?? {});
  return { stack, template: Template.fromStack(stack) };
}

/** The ARN of a table imported by name, as the template spells it. */
const importedTable = (name: string) => `:table/${name}`;

describe('SluiceDriver grants of lookup tables and lookup records', () => {
  it.each([
    ['props', { props: { lookups: { tables: ['customers', 'regions'] } } }],
    ['context', { context: { 'sluice:lookupTables': 'customers,regions' } }],
  ])('from %s: execute may BatchGetItem on each lookup table, and only that', (_, given) => {
    const { stack, template } = stackWith(given);
    expect(stack.lookupTables).toHaveLength(2);
    const grants = allowed(stack, template, stack.driver.functions.execute.role!);
    for (const table of ['customers', 'regions']) {
      const actions = [...grants].filter(([, resources]) => resources.some((r) => r.includes(importedTable(table)))).map(([a]) => a);
      expect(actions, table).toEqual(['dynamodb:BatchGetItem']);
    }
    for (const name of ['plan', 'executeGroups', 'finish', 'route', 'supervisor'] as const) {
      const other = allowed(stack, template, stack.driver.functions[name].role!);
      const onLookups = [...other].filter(([, resources]) => resources.some((r) => r.includes(importedTable('customers'))));
      expect(onLookups, name).toEqual([]);
    }
  });

  it('execute gets and puts lookup records, Finish deletes them, no one else touches them', () => {
    const { stack, template } = stackWith({});
    const bucket = { 'Fn::GetAtt': [logicalId(stack, stack.storage.checkpointBucket), 'Arn'] };
    const records = JSON.stringify({ 'Fn::Join': ['', [bucket, `/${LOOKUP_PREFIX}*`]] });
    const on = (name: keyof SluiceStack['driver']['functions']) =>
      [...allowed(stack, template, stack.driver.functions[name].role!)].filter(([, r]) => r.includes(records)).map(([a]) => a);
    expect(on('execute').sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(on('finish')).toEqual(['s3:DeleteObject']);
    for (const name of ['plan', 'executeGroups', 'route', 'startGeneration', 'endGeneration', 'supervisor'] as const) {
      expect(on(name), name).toEqual([]);
    }
  });

  it('no lookup tables by default', () => {
    const { stack } = stackWith({});
    expect(stack.lookupTables).toEqual([]);
  });
});

/**
 * What each function of a two-stage batch may do: stage 1 (execute) writes the exchange,
 * Route touches nothing, stage 2 (executeGroups) reads what it needs and writes the key
 * groups' state, the dead letters and the sinks, Finish deletes a committed batch's
 * exchange objects.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGE_PREFIX } from '../../engine/protocol/exchange-format.js';
import { CHECKPOINT_PREFIX } from '../../infra/constructs/sluice-storage.js';
import { SluiceStack } from '../../infra/stacks/sluice-stack.js';
import { allowed, logicalId, testApp } from './support.js';

describe('SluiceDriver grants of the two-stage path', () => {
  let stack: SluiceStack;
  let template: Template;
  let arns: { wal: string; deadLetters: string; bucket: string; state: string; exchange: string; sink: string };

  beforeAll(() => {
    // No catalog: the one sink table is the created `counts`.
    stack = new SluiceStack(testApp(), 'Sluice', { catalog: {}, sinks: { createTables: ['counts'] } });
    template = Template.fromStack(stack);
    const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
    const bucket = arn(logicalId(stack, stack.storage.checkpointBucket));
    arns = {
      wal: JSON.stringify(arn(logicalId(stack, stack.storage.walTable))),
      deadLetters: JSON.stringify(arn(logicalId(stack, stack.storage.deadLetterTable))),
      bucket: JSON.stringify(bucket),
      state: JSON.stringify({ 'Fn::Join': ['', [bucket, `/${CHECKPOINT_PREFIX}*`]] }),
      exchange: JSON.stringify({ 'Fn::Join': ['', [bucket, `/${EXCHANGE_PREFIX}*`]] }),
      sink: JSON.stringify(arn(logicalId(stack, stack.sinkTables[0]!))),
    };
  });

  const grantsOf = (name: keyof SluiceStack['driver']['functions']) => allowed(stack, template, stack.driver.functions[name].role!);
  /** The actions allowed on a resource. */
  const on = (grants: Map<string, string[]>, resource: string) =>
    [...grants].filter(([, resources]) => resources.includes(resource)).map(([action]) => action);

  it('stage 2 reads the WAL, writes dead letters and sinks, gets and puts state, reads the exchange, and nothing else', () => {
    const grants = grantsOf('executeGroups');
    const dynamodb = (resource: string) => on(grants, resource).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamodb(arns.wal)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(dynamodb(arns.wal).filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
    expect(dynamodb(arns.deadLetters)).toEqual(['dynamodb:BatchWriteItem']);
    expect(dynamodb(arns.sink)).toEqual(['dynamodb:PutItem']);
    expect(on(grants, arns.state).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(on(grants, arns.exchange)).toEqual(['s3:GetObject']);
    expect(on(grants, arns.bucket)).toEqual(['s3:ListBucket']);
    // No deletes anywhere, no sources, no state machines.
    const actions = [...grants.keys()];
    expect(actions.filter((a) => /Delete|kinesis:|kafka|states:/.test(a))).toEqual([]);
  });

  it('Route reads and writes nothing: its only grants are its logs and traces', () => {
    const actions = [...grantsOf('route').keys()];
    expect(actions.filter((a) => !a.startsWith('xray:') && !a.startsWith('logs:'))).toEqual([]);
  });

  it('stage 1 may write the exchange, Finish delete from it; each only that', () => {
    expect(on(grantsOf('execute'), arns.exchange)).toEqual(['s3:PutObject']);
    expect(on(grantsOf('finish'), arns.exchange)).toEqual(['s3:DeleteObject']);
    for (const name of ['plan', 'startGeneration', 'endGeneration', 'supervisor'] as const) {
      expect(on(grantsOf(name), arns.exchange), name).toEqual([]);
    }
  });

  it('every task function is told where the tables and the bucket are, and the executors where to report metrics', () => {
    for (const name of ['route', 'executeGroups'] as const) {
      const variables = (
        template.toJSON().Resources[logicalId(stack, stack.driver.functions[name])].Properties.Environment as { Variables: object }
      ).Variables;
      expect(Object.keys(variables), name).toEqual(
        expect.arrayContaining(['SLUICE_WAL_TABLE', 'SLUICE_DEAD_LETTER_TABLE', 'SLUICE_CHECKPOINT_BUCKET']),
      );
    }
    const groups = template.toJSON().Resources[logicalId(stack, stack.driver.functions.executeGroups)].Properties.Environment.Variables;
    expect(groups.SLUICE_DEPLOYMENT).toBe('Sluice');
  });
});

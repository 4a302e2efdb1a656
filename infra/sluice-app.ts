/**
 * Builds the Sluice CDK app on a given App: the stack, then the cdk-nag AwsSolutions
 * checks, which run when the app synthesizes and fail it on any unacknowledged finding.
 * infra/bin/app.ts calls this for `cdk synth`/`cdk deploy`; the tests call it too, so they
 * check exactly what is deployed.
 */
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT } from './context.js';
import { SluiceStack } from './stacks/sluice-stack.js';

/** Context key of the stack name (`cdk synth -c sluice:stackName=SluiceDev`); the other keys: infra/context.ts. */
export const STACK_NAME_CONTEXT = CONTEXT.stackName;
export const DEFAULT_STACK_NAME = 'Sluice';

export function addSluiceStacks(app: App): { readonly stack: SluiceStack } {
  const stackName = stackNameFrom(app.node.tryGetContext(STACK_NAME_CONTEXT));
  // No env: the stack is environment-agnostic (it needs no lookups), so it synthesizes
  // without credentials and deploys to whatever account and region the CLI is given.
  const stack = new SluiceStack(app, stackName, { stackName });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { stack };
}

function stackNameFrom(value: unknown): string {
  if (value === undefined) return DEFAULT_STACK_NAME;
  // CloudFormation stack names: a letter, then letters, digits and hyphens, 128 at most.
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(value)) {
    throw new Error(`Context ${STACK_NAME_CONTEXT} must be a CloudFormation stack name, got ${JSON.stringify(value)}`);
  }
  return value;
}

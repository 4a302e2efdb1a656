/**
 * Entry point of the CDK app (cdk.json: `node --import tsx infra/bin/app.ts`).
 *
 *   npx cdk synth                              # stack "Sluice"
 *   npx cdk synth -c sluice:stackName=SluiceDev
 */
import { App } from 'aws-cdk-lib';
import { addSluiceStacks } from '../sluice-app.js';

const app = new App();
addSluiceStacks(app);
app.synth();

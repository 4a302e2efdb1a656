/**
 * vitest globalSetup: starts the local AWS stand-ins (local/stand-ins.ts) once for
 * the whole run, in memory, and hands their endpoints to the test files through
 * `inject('standIns')` (test/support/aws.ts wraps it). They stop when the run ends.
 */
import type { TestProject } from 'vitest/node';
import { ensurePrerequisites } from '../../local/provision.js';
import { startStandIns, type StandInEndpoints } from '../../local/stand-ins.js';
import { testRunNeedsKafka } from './needs-kafka.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the stand-ins started by test/support/global-setup.ts. */
    standIns: StandInEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Java (DynamoDB Local) and, for a run with Kafka tests, kcat: installed as root, else stop here with the command.
  ensurePrerequisites({ what: 'the tests', kafka: testRunNeedsKafka(process.argv) });
  const standIns = await startStandIns({ dataDir: null });
  project.provide('standIns', { ...standIns.endpoints });
  return () => standIns.stop();
}

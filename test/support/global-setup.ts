/**
 * vitest globalSetup: starts the local AWS stand-ins (local/stand-ins.ts) once for
 * the whole run, in memory, and hands their endpoints to the test files through
 * `inject('standIns')` (test/support/aws.ts wraps it). They stop when the run ends.
 */
import type { TestProject } from 'vitest/node';
import { startStandIns, type StandInEndpoints } from '../../local/stand-ins.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the stand-ins started by test/support/global-setup.ts. */
    standIns: StandInEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const standIns = await startStandIns({ dataDir: null });
  project.provide('standIns', { ...standIns.endpoints });
  return () => standIns.stop();
}

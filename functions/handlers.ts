/**
 * The one bundle every Sluice Lambda function runs: each function's handler is
 * `index.<name>`, the camel-cased name of its module (functions/plan.ts is `plan`,
 * functions/execute-groups.ts `executeGroups`; infra/constructs/sluice-function.ts derives
 * it and refuses a module this file does not export).
 *
 * One bundle instead of one per function: synthesis runs esbuild once, not ten times, and a
 * deployment uploads one asset. Each module is loaded on its function's first call
 * (esbuild turns these dynamic imports into lazily initialised parts of the bundle), so a
 * function initialises only its own handler and the environment it reads, as before.
 */

/** A handler, loaded on its first call. */
function lazy<E, C, R>(load: () => Promise<{ readonly handler: (event: E, context: C) => Promise<R> }>) {
  return async (event: E, context: C): Promise<R> => (await load()).handler(event, context);
}

export const startGeneration = lazy(() => import('./start-generation.js'));
export const plan = lazy(() => import('./plan.js'));
export const execute = lazy(() => import('./execute.js'));
export const route = lazy(() => import('./route.js'));
export const executeGroups = lazy(() => import('./execute-groups.js'));
export const finish = lazy(() => import('./finish.js'));
export const endGeneration = lazy(() => import('./end-generation.js'));
export const supervisor = lazy(() => import('./supervisor.js'));
export const apiRead = lazy(() => import('./api-read.js'));
export const apiControl = lazy(() => import('./api-control.js'));

/**
 * Every Sluice function runs the one bundle functions/handlers.ts with its own export as
 * its handler (infra/constructs/sluice-function.ts): each function module has its export,
 * the export runs that module's handler, and a module without one fails synthesis.
 */
import { describe, expect, it } from 'vitest';
import { API_FUNCTIONS } from '../../../functions/api-routes.js';
import * as handlers from '../../../functions/handlers.js';
import { handlerExportOf } from '../../../infra/constructs/sluice-function.js';
import { DRIVER_FUNCTIONS } from '../../../infra/state-machines/functions.js';

describe('the shared handlers bundle', () => {
  it('exports a handler for every driver and API function, under its name', () => {
    for (const [name, spec] of Object.entries({ ...DRIVER_FUNCTIONS, ...API_FUNCTIONS })) {
      expect(handlerExportOf(spec.entry), spec.entry).toBe(name);
    }
    expect(Object.keys(handlers).sort()).toEqual(Object.keys({ ...DRIVER_FUNCTIONS, ...API_FUNCTIONS }).sort());
  });

  it('fails naming the export to add for a module it does not load', () => {
    expect(() => handlerExportOf('functions/compact-state.ts')).toThrow(
      "functions/compact-state.ts has no handler in functions/handlers.ts: add `export const compactState = lazy(() => import('./compact-state.js'));` there",
    );
  });

  it("runs the module's own handler on its first call (route, without its environment: the same refusal)", async () => {
    const { handler } = await import('../../../functions/route.js');
    const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
    const direct = message(await handler({ batch: 1 } as never, {} as never).catch((error: unknown) => error));
    expect(direct).toMatch(/environment variable SLUICE_WAL_TABLE is not set/);
    const viaBundle = message(await handlers.route({ batch: 1 } as never, {} as never).catch((error: unknown) => error));
    expect(viaBundle).toBe(direct);
  });
});

/**
 * The supervisor: an EventBridge rule sends it driver executions that ended FAILED,
 * TIMED_OUT or ABORTED, and a schedule sends it a reconcile tick (engine/driver/supervisor.ts).
 */
import { onExecutionEnded, reconcile, type SuperviseOutcome } from '../engine/driver/supervisor.js';
import { InvalidArgumentError } from '../engine/errors.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { withLambdaContext } from './logger.js';
import { taskHandler } from './middleware.js';

/** EventBridge's "Step Functions Execution Status Change" (only the fields used). */
interface StatusChangeEvent {
  readonly source: 'aws.states';
  readonly detail: { readonly name: string; readonly status: string; readonly error?: string | null; readonly cause?: string | null };
}

export function createSupervisorHandler(deps: FunctionDependencies) {
  const reported = (outcomes: SuperviseOutcome[]) => {
    deps.metrics?.supervised(outcomes);
    return outcomes;
  };
  return taskHandler(
    'supervisor',
    () => deps.supervisor().logger,
    async (event): Promise<SuperviseOutcome[]> => {
      const e = (event ?? {}) as Partial<StatusChangeEvent> & { 'detail-type'?: unknown; action?: unknown };
      if (e.source === 'aws.states') {
        const detail = e.detail;
        if (typeof detail?.name !== 'string' || typeof detail.status !== 'string') {
          throw new InvalidArgumentError('bad event: an aws.states event needs detail.name and detail.status');
        }
        return reported([
          await onExecutionEnded(
            { executionName: detail.name, status: detail.status, error: detail.error ?? null, cause: detail.cause ?? null },
            deps.supervisor(),
          ),
        ]);
      }
      if (e['detail-type'] === 'Scheduled Event' || e.action === 'reconcile') return reported(await reconcile(deps.supervisor()));
      throw new InvalidArgumentError(
        'bad event: expected a Step Functions status change (source aws.states), a Scheduled Event, or { "action": "reconcile" }',
      );
    },
  );
}

export const handler = withLambdaContext(createSupervisorHandler(environmentDependencies));

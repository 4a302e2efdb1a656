/**
 * Environment variables of the Lambda functions. The CDK construct sets them next to the
 * grant on the resource each one names (infra/constructs/sluice-driver.ts); functions/
 * environment.ts reads them. No imports: CDK loads this without the SDK.
 */
export const ENV = {
  walTable: 'SLUICE_WAL_TABLE',
  deadLetterTable: 'SLUICE_DEAD_LETTER_TABLE',
  checkpointBucket: 'SLUICE_CHECKPOINT_BUCKET',
  /** The driver state machine (the supervisor starts and describes its executions). */
  driverStateMachineArn: 'SLUICE_DRIVER_STATE_MACHINE_ARN',
  childBudgetMs: 'SLUICE_CHILD_BUDGET_MS',
  handBackAfterMs: 'SLUICE_HAND_BACK_AFTER_MS',
  childRunsPerGeneration: 'SLUICE_CHILD_RUNS_PER_GENERATION',
  maxIdleIntervalMs: 'SLUICE_MAX_IDLE_INTERVAL_MS',
  idleBackoffFactor: 'SLUICE_IDLE_BACKOFF_FACTOR',
  parkAfterIdleMs: 'SLUICE_PARK_AFTER_IDLE_MS',
  maxRestarts: 'SLUICE_MAX_RESTARTS',
  restartWindowMs: 'SLUICE_RESTART_WINDOW_MS',
  restartBackoffBaseMs: 'SLUICE_RESTART_BACKOFF_BASE_MS',
  restartBackoffMaxMs: 'SLUICE_RESTART_BACKOFF_MAX_MS',
  /** The deployment (the stack name): the dimension of the engine's CloudWatch metrics (functions/metrics.ts). */
  deployment: 'SLUICE_DEPLOYMENT',
} as const;

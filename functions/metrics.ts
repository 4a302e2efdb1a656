/**
 * The engine's CloudWatch metrics, written as Embedded Metric Format (EMF) lines in the
 * functions' logs: CloudWatch Logs turns each line into metric data points, with no
 * PutMetricData call, permission or network round trip. The Finish task reports every
 * batch it committed; the executors (of a partition, or of a slot of key groups) how much
 * of its memory their container has used; the supervisor every restart and every job it
 * gave up on. The
 * stack's alarms and dashboard (infra/constructs/sluice-monitoring.ts) read these names.
 *
 * Each metric has two dimension sets: { Deployment } (every job of the stack: what the
 * alarms watch) and { Deployment, JobId } (one job: the dashboard, and for drilling down).
 * No runtime imports: CDK loads this module for the names.
 *
 * Why not Powertools Metrics (@aws-lambda-powertools/metrics): it would replace only
 * emfRecord and emfMetrics, some forty lines, with as many of its own calls, and it
 * changes what the alarms match. It adds a `service` dimension to every dimension set
 * (POWERTOOLS_SERVICE_NAME, which the functions set for their logger, or
 * "service_undefined"), so { Deployment } would become { service, Deployment } unless
 * its default dimensions were cleared; it is one mutable buffer per container, published
 * once per set of dimension values (the supervisor reports one record per job); it takes
 * a timestamp only within two weeks of the clock, so a record could no longer be built
 * for any given `now` (the tests pin it); and CDK, which loads this module for the names,
 * would load it too.
 */
import type { SuperviseOutcome } from '../engine/driver/supervisor.js';
import type { DriverInfo, FinishTaskResult } from '../engine/driver/tasks.js';
import type { GroupResult, PartitionResult } from '../engine/protocol/batch-records.js';

export const METRICS_NAMESPACE = 'Sluice';

export const METRIC_DIMENSIONS = { deployment: 'Deployment', jobId: 'JobId' } as const;

export const METRIC_NAMES = {
  /** From plan to commit of a batch (BatchMetrics.durationMs). */
  batchDuration: 'BatchDurationMs',
  /** The most a partition's read ended behind its tail (Kinesis MillisBehindLatest); absent when unknown. */
  lag: 'LagMs',
  records: 'Records',
  outputRows: 'OutputRows',
  deadLetters: 'DeadLetters',
  lateRecords: 'LateRecords',
  stateBytesWritten: 'StateBytesWritten',
  /** The supervisor started a dead driver again. */
  driverRestarts: 'DriverRestarts',
  /** The supervisor left a job FAILED after too many restarts. */
  jobsGaveUp: 'JobsGaveUp',
  /**
   * The memory one executor call used (callMemory), as a percentage of the function's. A
   * partition's whole state lives in its executor's memory (a key group's in its stage-2
   * executor's, on a two-stage batch): near 100 % the executor is killed, retried and
   * killed again, and the job stops at that batch.
   */
  executorMemory: 'ExecutorMemoryUsedPercent',
} as const;

/** The executor container's memory now and at its highest so far, and the function's memory. */
export interface ContainerMemory {
  readonly rssMb: number;
  readonly maxRssMb: number;
  readonly limitMb: number;
}

/** What one executor call used, against the function's configured memory. */
export interface ExecutorMemory {
  readonly peakMb: number;
  readonly limitMb: number;
}

/**
 * The memory of one call, from the container's readings before and after it. The
 * container's highest RSS never comes down and a warm container serves every job's
 * partitions, so a peak is this call's only when the call raised it; otherwise the call
 * peaked no higher than before, and its RSS at the end (with the warm cache of every
 * partition the container ran) is what is reported.
 */
export function callMemory(before: ContainerMemory, after: ContainerMemory): ExecutorMemory {
  const raised = after.maxRssMb > before.maxRssMb;
  return { peakMb: raised ? after.maxRssMb : after.rssMb, limitMb: after.limitMb };
}

/** From this share of its memory on, the executor logs a warning (and the alarm fires). */
export const EXECUTOR_MEMORY_WARNING_PERCENT = 80;

export interface EngineMetrics {
  batchCommitted(driver: DriverInfo, result: FinishTaskResult): void;
  /** An executor call (of a partition, or of a slot of key groups) ended, having used this memory. */
  executorRan(driver: DriverInfo, memory: ExecutorMemory): void;
  supervised(outcomes: readonly SuperviseOutcome[]): void;
}

type Unit = 'Milliseconds' | 'Count' | 'Bytes' | 'Percent';

/** One EMF document: the values and the metric definitions that point at them. */
export function emfRecord(
  deployment: string,
  jobId: string,
  values: readonly { readonly name: string; readonly unit: Unit; readonly value: number }[],
  timestamp: number,
): Record<string, unknown> {
  const d = METRIC_DIMENSIONS;
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [[d.deployment], [d.deployment, d.jobId]],
          Metrics: values.map((v) => ({ Name: v.name, Unit: v.unit })),
        },
      ],
    },
    [d.deployment]: deployment,
    [d.jobId]: jobId,
    ...Object.fromEntries(values.map((v) => [v.name, v.value])),
  };
}

/** The metrics of a batch the Finish task committed (none for a retried or twin commit: it was counted). */
export function batchRecord(deployment: string, driver: DriverInfo, result: FinishTaskResult, now: number): Record<string, unknown> | null {
  if (!result.batch.committedNow) return null;
  const m = result.batch.metrics;
  const n = METRIC_NAMES;
  return emfRecord(
    deployment,
    driver.jobId,
    [
      { name: n.batchDuration, unit: 'Milliseconds', value: m.durationMs },
      ...(m.lagMs === null ? [] : [{ name: n.lag, unit: 'Milliseconds' as const, value: m.lagMs }]),
      { name: n.records, unit: 'Count', value: m.records },
      { name: n.outputRows, unit: 'Count', value: m.outputRows },
      { name: n.deadLetters, unit: 'Count', value: m.deadLetters },
      { name: n.lateRecords, unit: 'Count', value: m.lateRecords },
      { name: n.stateBytesWritten, unit: 'Bytes', value: m.stateBytesWritten },
    ],
    now,
  );
}

/** The executor's memory after a partition's batch. */
export function executorRecord(deployment: string, driver: DriverInfo, memory: ExecutorMemory, now: number): Record<string, unknown> {
  return emfRecord(deployment, driver.jobId, [{ name: METRIC_NAMES.executorMemory, unit: 'Percent', value: memoryPercent(memory) }], now);
}

export function memoryPercent(memory: ExecutorMemory): number {
  return Math.round((memory.peakMb / memory.limitMb) * 1000) / 10;
}

/**
 * What the executor logs when its container's peak memory reaches the warning share:
 * null below it. Names the partition's state size, which is what grows.
 */
export function executorMemoryWarning(
  driver: DriverInfo,
  result: PartitionResult,
  memory: ExecutorMemory,
): { message: string; fields: Record<string, unknown> } | null {
  const percent = memoryPercent(memory);
  if (percent < EXECUTOR_MEMORY_WARNING_PERCENT) return null;
  return {
    message:
      `executor memory: running partition ${result.partition} of job ${driver.jobId} (${result.stateRows} state rows) took its container to ` +
      `${Math.round(memory.peakMb)} MB of ${memory.limitMb} MB (${percent} %), with the warm state of the other partitions it ran. ` +
      'Give the execute function more memory, or spread the keys over more partitions, before it runs out',
    fields: {
      jobId: driver.jobId,
      partition: result.partition,
      stateRows: result.stateRows,
      peakMb: Math.round(memory.peakMb),
      limitMb: memory.limitMb,
      percent,
    },
  };
}

/**
 * What the stage-2 executor logs when its container's peak memory reaches the warning
 * share: null below it. Names the key groups it ran and their state size, which is what grows.
 */
export function keyGroupsMemoryWarning(
  driver: DriverInfo,
  results: readonly GroupResult[],
  memory: ExecutorMemory,
): { message: string; fields: Record<string, unknown> } | null {
  const percent = memoryPercent(memory);
  if (percent < EXECUTOR_MEMORY_WARNING_PERCENT) return null;
  const groups = results.map((r) => r.group);
  const stateRows = results.reduce((sum, r) => sum + r.stateRows, 0);
  const largest = results.reduce((max, r) => Math.max(max, r.stateRows), 0);
  return {
    message:
      `executor memory: running key groups ${describeGroups(groups)} of job ${driver.jobId} (${stateRows} state rows, at most ` +
      `${largest} in one group) took its container to ${Math.round(memory.peakMb)} MB of ${memory.limitMb} MB (${percent} %), ` +
      'with the warm state of the other groups it ran. Give the execute-groups function more memory before it runs out ' +
      '(the number of key groups is fixed once the job has state)',
    fields: {
      jobId: driver.jobId,
      groups: groups.length,
      firstGroup: groups[0] ?? null,
      lastGroup: groups.at(-1) ?? null,
      stateRows,
      largestGroupStateRows: largest,
      peakMb: Math.round(memory.peakMb),
      limitMb: memory.limitMb,
      percent,
    },
  };
}

/** A slot's groups, which are contiguous: "7", or "3 to 9". */
function describeGroups(groups: readonly number[]): string {
  if (groups.length === 0) return 'none';
  return groups.length === 1 ? String(groups[0]) : `${groups[0]} to ${groups.at(-1)}`;
}

/** The container's memory on Lambda (maxRSS is in KiB); null elsewhere (no limit to measure against). */
export function lambdaContainerMemory(env: Readonly<Record<string, string | undefined>> = process.env): ContainerMemory | null {
  const limitMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (!Number.isFinite(limitMb) || limitMb <= 0) return null;
  return { rssMb: process.memoryUsage().rss / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024, limitMb };
}

export function supervisorRecords(deployment: string, outcomes: readonly SuperviseOutcome[], now: number): Record<string, unknown>[] {
  return outcomes.flatMap((o) => {
    if (o.action === 'restarted')
      return [emfRecord(deployment, o.jobId, [{ name: METRIC_NAMES.driverRestarts, unit: 'Count', value: 1 }], now)];
    if (o.action === 'gave-up') return [emfRecord(deployment, o.jobId, [{ name: METRIC_NAMES.jobsGaveUp, unit: 'Count', value: 1 }], now)];
    return [];
  });
}

/**
 * EMF on stdout, one JSON document per line. process.stdout, not console.log: on Lambda,
 * console.log prefixes each line with the time and request id, and a prefixed line is
 * not parsed as EMF.
 */
export function emfMetrics(deployment: string, write: (line: string) => void = (line) => process.stdout.write(line)): EngineMetrics {
  const emit = (record: Record<string, unknown> | null) => {
    if (record !== null) write(`${JSON.stringify(record)}\n`);
  };
  return {
    batchCommitted: (driver, result) => emit(batchRecord(deployment, driver, result, Date.now())),
    executorRan: (driver, memory) => emit(executorRecord(deployment, driver, memory, Date.now())),
    supervised: (outcomes) => supervisorRecords(deployment, outcomes, Date.now()).forEach(emit),
  };
}

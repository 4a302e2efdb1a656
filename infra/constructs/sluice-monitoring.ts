/**
 * Alarms and a dashboard for a Sluice deployment. The engine's own metrics come from the
 * Embedded Metric Format lines its functions log (functions/metrics.ts: namespace Sluice,
 * dimension Deployment, and Deployment + JobId); Step Functions, Lambda and API Gateway
 * publish theirs.
 *
 *   DriverFailures   a driver execution FAILED, TIMED_OUT or was ABORTED (the supervisor
 *                    restarts it; a job left FAILED by a bad spec ends this way too)
 *   DriverRestarts   the supervisor restarted drivers often within an hour
 *   JobGaveUp        the supervisor left a job FAILED after too many restarts
 *   BatchDuration    a batch took longer than the threshold (plan to commit)
 *   Lag              a job's reads ended far behind the tail of a partition, for 15 minutes
 *   DeadLetters      more than a few percent of the records of every job were dead-lettered
 *                    within 5 minutes (a job whose batch passed its own dead-letter limit
 *                    is left FAILED with the reason: engine/driver/dead-letter-limit.ts)
 *   SupervisorDeadLetters  EventBridge could not deliver an event to the supervisor (a
 *                    failed driver went unrestarted until the next reconcile)
 *   ApiServerErrors  the jobs API answered 5xx (bad input is a 4xx: a 5xx is a fault)
 *
 * docs/deploy.md lists them with what to do when each fires (a test holds the list to
 * the synthesized template).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EXECUTOR_MEMORY_WARNING_PERCENT, METRICS_NAMESPACE, METRIC_DIMENSIONS, METRIC_NAMES } from '../../functions/metrics.js';
import type { SluiceApi } from './sluice-api.js';
import type { SluiceDriver } from './sluice-driver.js';

export interface SluiceMonitoringProps {
  /** The Deployment dimension of the engine's metrics (the stack name). */
  readonly deployment: string;
  readonly driver: SluiceDriver;
  readonly api: SluiceApi;
  /**
   * Where alarms (and their return to OK) are sent.
   * @default - nowhere: the alarms show on the dashboard and in the console
   */
  readonly alarmTopic?: sns.ITopic;
  /** @default Duration.minutes(1) */
  readonly batchDurationThreshold?: Duration;
  /** @default Duration.minutes(5) */
  readonly lagThreshold?: Duration;
  /** Restarts within an hour, over every job, that raise the alarm. @default 3 */
  readonly restartsPerHour?: number;
  /**
   * The share of the records of every job (in percent) dead-lettered within 5 minutes,
   * of at least DEAD_LETTER_ALARM_MIN_RECORDS records, above which the alarm is raised.
   * @default 5
   */
  readonly deadLetterPercent?: number;
}

/** Fewer records than this within 5 minutes never raise the dead-letter alarm: a few bad records are no trend. */
export const DEAD_LETTER_ALARM_MIN_RECORDS = 100;

export class SluiceMonitoring extends Construct {
  public readonly driverFailures: cloudwatch.Alarm;
  public readonly driverRestarts: cloudwatch.Alarm;
  public readonly jobGaveUp: cloudwatch.Alarm;
  public readonly batchDuration: cloudwatch.Alarm;
  public readonly lag: cloudwatch.Alarm;
  public readonly executorMemory: cloudwatch.Alarm;
  public readonly deadLetters: cloudwatch.Alarm;
  public readonly supervisorDeadLetters: cloudwatch.Alarm;
  public readonly apiServerErrors: cloudwatch.Alarm;
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: SluiceMonitoringProps) {
    super(scope, id);
    const { deployment, driver, api } = props;
    const engine = (metricName: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [METRIC_DIMENSIONS.deployment]: deployment },
        statistic,
        period,
      });
    const fiveMinutes = Duration.minutes(5);
    const batchDurationMs = props.batchDurationThreshold?.toMilliseconds() ?? 60_000;
    const lagMs = props.lagThreshold?.toMilliseconds() ?? 300_000;

    // 1. Alarms.
    const failed = new cloudwatch.MathExpression({
      label: 'driver executions failed, timed out or aborted',
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: driver.driver.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
        timedOut: driver.driver.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
        aborted: driver.driver.metricAborted({ period: fiveMinutes, statistic: 'Sum' }),
      },
      period: fiveMinutes,
    });
    this.driverFailures = failed.createAlarm(this, 'DriverFailures', {
      alarmDescription: `Sluice ${deployment}: a driver execution failed, timed out or was aborted. The supervisor restarts it; GET /jobs/{jobId} shows the last error.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.driverRestarts = engine(METRIC_NAMES.driverRestarts, 'Sum', Duration.hours(1)).createAlarm(this, 'DriverRestarts', {
      alarmDescription: `Sluice ${deployment}: the supervisor restarted drivers ${props.restartsPerHour ?? 3} times or more within an hour (a job crashing again and again).`,
      threshold: props.restartsPerHour ?? 3,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.jobGaveUp = engine(METRIC_NAMES.jobsGaveUp, 'Sum', fiveMinutes).createAlarm(this, 'JobGaveUp', {
      alarmDescription: `Sluice ${deployment}: the supervisor left a job FAILED after too many restarts; it needs a person (GET /jobs?state=FAILED).`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.batchDuration = engine(METRIC_NAMES.batchDuration, 'Maximum', fiveMinutes).createAlarm(this, 'BatchDuration', {
      alarmDescription: `Sluice ${deployment}: a batch took more than ${batchDurationMs / 1000} s from plan to commit, in 2 of the last 3 periods of 5 minutes.`,
      threshold: batchDurationMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.lag = engine(METRIC_NAMES.lag, 'Maximum', fiveMinutes).createAlarm(this, 'Lag', {
      alarmDescription: `Sluice ${deployment}: a job's reads ended more than ${lagMs / 1000} s behind a partition's tail for 15 minutes (raise its rate limit, or its input outgrew it).`,
      threshold: lagMs,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.executorMemory = engine(METRIC_NAMES.executorMemory, 'Maximum', fiveMinutes).createAlarm(this, 'ExecutorMemory', {
      alarmDescription:
        `Sluice ${deployment}: an executor's container used ${EXECUTOR_MEMORY_WARNING_PERCENT} % or more of its memory. A partition's state lives in it: ` +
        'give the execute function more memory, or spread the keys over more partitions, before executors run out (the log names the partition).',
      threshold: EXECUTOR_MEMORY_WARNING_PERCENT,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Well below a job's own limit (half of a batch, by default), so that a rise is seen
    // before a job fails, and a job the limit failed is seen too (its batch's metrics count).
    const deadLetterPercent = props.deadLetterPercent ?? 5;
    const deadLetterShare = new cloudwatch.MathExpression({
      label: 'records dead-lettered (%)',
      expression: `IF(records >= ${DEAD_LETTER_ALARM_MIN_RECORDS}, 100 * deadLetters / records, 0)`,
      usingMetrics: {
        deadLetters: engine(METRIC_NAMES.deadLetters, 'Sum', fiveMinutes),
        records: engine(METRIC_NAMES.records, 'Sum', fiveMinutes),
      },
      period: fiveMinutes,
    });
    this.deadLetters = deadLetterShare.createAlarm(this, 'DeadLetters', {
      alarmDescription:
        `Sluice ${deployment}: more than ${deadLetterPercent} % of the records read within 5 minutes were dead-lettered. ` +
        'GET /jobs/{jobId}/batches shows which job and batch; sluice jobs dead-letters <jobId> shows why. A job whose batch passed its ' +
        'own dead-letter limit is FAILED with the reason.',
      threshold: deadLetterPercent,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.supervisorDeadLetters = driver.supervisorDeadLetters
      .metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' })
      .createAlarm(this, 'SupervisorDeadLetters', {
        alarmDescription:
          `Sluice ${deployment}: EventBridge could not deliver an event to the supervisor after its retries (the message in the queue says which rule and why). ` +
          'A driver that failed then may stay down until the next reconcile: check GET /jobs?state=RUNNING against the driver executions, then purge the queue.',
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.apiServerErrors = api.httpApi.metricServerError({ period: fiveMinutes, statistic: 'Sum' }).createAlarm(this, 'ApiServerErrors', {
      alarmDescription:
        `Sluice ${deployment}: the jobs API answered 5xx within 5 minutes. Bad input is answered 4xx, so a 5xx is a fault: ` +
        "the API's access logs give the request id and integrationError, the function's log the error.",
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const alarms = [
      this.driverFailures,
      this.driverRestarts,
      this.jobGaveUp,
      this.batchDuration,
      this.lag,
      this.executorMemory,
      this.deadLetters,
      this.supervisorDeadLetters,
      this.apiServerErrors,
    ];
    if (props.alarmTopic !== undefined) {
      for (const alarm of alarms) {
        alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        alarm.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
    }

    // 2. Dashboard: the alarms, then the engine per job, then the services under it.
    const perJob = (metricName: string, statistic: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${METRIC_DIMENSIONS.deployment},${METRIC_DIMENSIONS.jobId}} MetricName="${metricName}" ${METRIC_DIMENSIONS.deployment}="${deployment}"', '${statistic}', 60)`,
        usingMetrics: {},
        period: Duration.minutes(1),
      });
    const minute = Duration.minutes(1);
    const fns = [...Object.entries(driver.functions), ...Object.entries(api.functions)];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${deployment}-sluice`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# Sluice: ${deployment}\nJobs: \`sluice jobs list --endpoint ${api.url}\`. Per-job lines come from the engine's metrics (namespace ${METRICS_NAMESPACE}).`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms,
            width: 24,
            height: 3,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Batch duration (ms, max per job)',
            left: [perJob(METRIC_NAMES.batchDuration, 'Maximum')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Lag behind the tail (ms, max per job)',
            left: [perJob(METRIC_NAMES.lag, 'Maximum')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Records per minute (per job)', left: [perJob(METRIC_NAMES.records, 'Sum')], width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Dead letters and late records per minute (per job)',
            left: [perJob(METRIC_NAMES.deadLetters, 'Sum'), perJob(METRIC_NAMES.lateRecords, 'Sum')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Supervisor: restarts and jobs given up',
            left: [engine(METRIC_NAMES.driverRestarts, 'Sum', fiveMinutes), engine(METRIC_NAMES.jobsGaveUp, 'Sum', fiveMinutes)],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Driver executions (Standard)',
            left: [
              driver.driver.metricStarted({ period: fiveMinutes, statistic: 'Sum' }),
              driver.driver.metricSucceeded({ period: fiveMinutes, statistic: 'Sum' }),
              driver.driver.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
              driver.driver.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
              driver.driver.metricAborted({ period: fiveMinutes, statistic: 'Sum' }),
            ],
            right: [driver.batches.metricFailed({ period: fiveMinutes, statistic: 'Sum', label: 'batches child failed' })],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: "Executor memory (% of the function's, peak per job)",
            left: [perJob(METRIC_NAMES.executorMemory, 'Maximum')],
            leftYAxis: { min: 0, max: 100 },
            leftAnnotations: [{ value: EXECUTOR_MEMORY_WARNING_PERCENT, label: 'alarm' }],
            width: 24,
            height: 4,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Lambda errors',
            left: fns.map(([name, fn]) => fn.metricErrors({ period: minute, statistic: 'Sum', label: name })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Lambda throttles',
            left: fns.map(([name, fn]) => fn.metricThrottles({ period: minute, statistic: 'Sum', label: name })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Lambda duration (p90, ms)',
            left: fns.map(([name, fn]) => fn.metricDuration({ period: minute, statistic: 'p90', label: name })),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Jobs API: requests, 4xx, 5xx',
            left: [
              api.httpApi.metricCount({ period: minute, statistic: 'Sum' }),
              api.httpApi.metricClientError({ period: minute, statistic: 'Sum' }),
              api.httpApi.metricServerError({ period: minute, statistic: 'Sum' }),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Jobs API: latency (p90, ms)',
            left: [api.httpApi.metricLatency({ period: minute, statistic: 'p90' })],
            width: 12,
          }),
        ],
      ],
    });
  }
}

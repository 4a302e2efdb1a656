/**
 * The Express child of the driver (definitions.ts has the Standard parent): micro-batches
 * for a few minutes, then it hands back.
 *
 *   Plan ─► Planned? stop: StopBeforeBatch; idle: Idle ─► AfterCommit; else
 *   Execute (Map: one executor per partition; stage 1 on a two-stage batch) ─► TwoStage?
 *     yes: Route ─► ExecuteGroups (Map: stage 2, one executor per slot of key groups) ─► Finish
 *     no:  OneStage (no stage-2 results) ─► Finish
 *   Finish (commit + decide) ─► AfterCommit ─► Wait? ─► Plan ...
 *
 * A skipped trigger (engine/protocol/empty-trigger.ts: the job is caught up, nothing is
 * due) writes nothing: Plan returns the loop decision Finish would make after an empty
 * batch (nextStep: the idle streak grows, the backoff and parking count it), and the Idle
 * state puts it where Finish puts its own, so AfterCommit routes both alike (wait, plan
 * again, or hand back: a long wait, the child's budget spent, a park, an available-now
 * job done). It costs one Lambda call and three transitions instead of a whole batch.
 *
 * Express runs at least once: every step is idempotent, and a retried task may race its
 * first attempt. Route is pure (the plan and stage 1's deterministic results decide it), so
 * every attempt routes the same key groups to the same slots, and stage 2 writes the same
 * bytes whichever attempt runs (engine/protocol/stage-two.ts). A crash anywhere before the
 * commit resumes the batch from its plan: both stages run again.
 *
 * Payload. Step Functions refuses a state's input or output over 256 KiB (262,144 bytes of
 * UTF-8 JSON: States.DataLimitExceeded, which no Catch clause catches). The largest state of
 * a two-stage batch is ExecuteGroups' output, Finish's input: the plan's summary, stage 1's
 * results, the route and stage 2's results at once. It holds at most
 *
 *   2 × INLINE_EXCHANGE_TOTAL_BYTES  the inline exchange bodies (64 KiB of JSON Lines in all;
 *                                    as a JSON string each quote, backslash and newline is
 *                                    escaped, so up to twice as many bytes)
 *   + 0.6 KB per partition           its id in the plan, its result's range end and counters
 *   + 26 B per (partition, group)    stage 1's index entry, for each group a partition has
 *                                    rows for
 *   + 240 B per active group         its stage-2 result, its number in the route and in the
 *                                    plan's due groups, its state rows in the plan's summary
 *                                    (groupRows: stage 2's slots weigh them)
 *   + 5 KB                           the driver (the job's parameters: at most 4 KB), the
 *                                    loop and the rest of the plan
 *
 * (each at its widest numbers), so 128 KiB is left for everything but the inline bodies:
 * enough for 256 key groups, all active, over 8 partitions with rows for every group (at
 * most 115 KiB), or 64 groups over 32 partitions (85 KiB); test/infra/state-payload.test.ts
 * builds both. Every other state holds less: Route's input lacks the route and stage 2's
 * results, an ExecuteGroups iteration's input is one slot and stage 1's results, an Execute
 * iteration's output one partition's result. Beyond that envelope the state can outgrow
 * the limit: 1,024 key groups all active return 170 to 210 KiB of stage-2 results alone.
 */
import { MAX_STAGE_TWO_SLOTS } from '../../engine/protocol/key-groups.js';
import {
  BATCHES_TIMEOUT_SECONDS,
  FENCING_ERRORS,
  NON_RETRYABLE_ENGINE_ERRORS,
  PLACEHOLDERS,
  TASK_STATES,
  TASK_TIMEOUT_SECONDS,
  lambdaRetry,
  lambdaTask,
  ph,
  type AslDefinition,
  type AslState,
  type Placeholder,
} from './asl.js';

/** Where a child task's error goes: fenced, failed for good, or failed (the supervisor restarts the driver). */
function childCatch(): AslState[] {
  return [
    { ErrorEquals: [...FENCING_ERRORS], ResultPath: '$.error', Next: 'Fenced' },
    { ErrorEquals: [...NON_RETRYABLE_ENGINE_ERRORS], ResultPath: '$.error', Next: 'FailedPermanently' },
    { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' },
  ];
}

/** Executor calls a Map runs at once. */
const MAX_CONCURRENT_EXECUTORS = 40;

/** An inline Map of executor calls: one Lambda task per item, retried like every task. */
function executorMap(args: {
  readonly comment: string;
  readonly maxConcurrency: number;
  readonly itemsPath: string;
  readonly itemSelector: Record<string, string>;
  readonly task: string;
  readonly resource: Placeholder;
  readonly resultPath: string;
  readonly next: string;
}): AslState {
  return {
    Type: 'Map',
    Comment: args.comment,
    ItemsPath: args.itemsPath,
    ItemSelector: args.itemSelector,
    MaxConcurrency: args.maxConcurrency,
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      StartAt: args.task,
      States: {
        [args.task]: {
          Type: 'Task',
          Resource: ph(args.resource),
          TimeoutSeconds: TASK_TIMEOUT_SECONDS.execute,
          Retry: lambdaRetry(),
          End: true,
        },
      },
    },
    ResultPath: args.resultPath,
    Catch: childCatch(),
    Next: args.next,
  };
}

/** The Express child: micro-batches until its budget is spent, a long wait is due, or the job stops. */
export function batchesDefinition(): AslDefinition {
  const driver = { 'driver.$': '$.driver' };
  return {
    Comment:
      'Sluice batches (Express): plan, one executor per partition, on a two-stage batch one per slot of key groups, commit, wait; ' +
      'hands back to the driver after a few minutes',
    TimeoutSeconds: BATCHES_TIMEOUT_SECONDS,
    StartAt: TASK_STATES.plan,
    States: {
      [TASK_STATES.plan]: lambdaTask(
        PLACEHOLDERS.planFunction,
        { ...driver, 'loop.$': '$.loop', 'childStartedAt.$': '$$.Execution.StartTime' },
        {
          Comment:
            'Resume the batch in flight, or plan the next one (fenced by epoch), or skip a trigger that would read nothing ' +
            'with nothing due (writes nothing); stop instead when the job is stopping',
          ResultPath: '$.batch',
          Catch: childCatch(),
          Next: 'Planned',
        },
      ),
      Planned: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.batch.stop', BooleanEquals: true, Next: 'StopBeforeBatch' },
          // IsPresent first: a Choice on a path the input lacks fails the execution (States.Runtime).
          {
            And: [
              { Variable: '$.batch.idle', IsPresent: true },
              { Variable: '$.batch.idle', BooleanEquals: true },
            ],
            Next: 'Idle',
          },
        ],
        Default: 'Execute',
      },
      Idle: {
        Type: 'Pass',
        Comment:
          'A skipped trigger (engine/protocol/empty-trigger.ts): no batch; the loop decision Plan made as Finish would after an empty batch',
        InputPath: '$.batch.loop',
        ResultPath: '$.loop',
        Next: 'AfterCommit',
      },
      Execute: executorMap({
        comment: 'One executor per partition (stage 1 on a two-stage batch); each returns a small summary, never records',
        itemsPath: '$.batch.partitions',
        maxConcurrency: MAX_CONCURRENT_EXECUTORS,
        itemSelector: { ...driver, 'batchId.$': '$.batch.batchId', 'partition.$': '$$.Map.Item.Value' },
        task: TASK_STATES.execute,
        resource: PLACEHOLDERS.executeFunction,
        resultPath: '$.results',
        next: 'TwoStage',
      }),
      TwoStage: {
        Type: 'Choice',
        Comment: 'A batch planned with key groups runs stage 2 per active key group before its commit',
        Choices: [{ Variable: '$.batch.twoStage', BooleanEquals: true, Next: TASK_STATES.route }],
        Default: 'OneStage',
      },
      [TASK_STATES.route]: lambdaTask(
        PLACEHOLDERS.routeFunction,
        { ...driver, 'batch.$': '$.batch', 'results.$': '$.results' },
        {
          Comment: "The active key groups (stage 1's rows, due windows) in at most 40 slots of contiguous groups; pure",
          ResultPath: '$.route',
          Catch: childCatch(),
          Next: 'ExecuteGroups',
        },
      ),
      ExecuteGroups: executorMap({
        comment: "Stage 2: one executor per slot, each applying its groups' rows to their state; small summaries only",
        itemsPath: '$.route.slots',
        // At most this many slots (assignGroupsToSlots): every slot runs at once.
        maxConcurrency: MAX_STAGE_TWO_SLOTS,
        itemSelector: { ...driver, 'batchId.$': '$.batch.batchId', 'groups.$': '$$.Map.Item.Value', 'stageOne.$': '$.results' },
        task: TASK_STATES.executeGroups,
        resource: PLACEHOLDERS.executeGroupsFunction,
        resultPath: '$.groupResults',
        next: TASK_STATES.finish,
      }),
      OneStage: {
        Type: 'Pass',
        Comment: 'A one-stage batch: no stage-2 results',
        Result: [],
        ResultPath: '$.groupResults',
        Next: TASK_STATES.finish,
      },
      [TASK_STATES.finish]: lambdaTask(
        PLACEHOLDERS.finishFunction,
        {
          ...driver,
          'batch.$': '$.batch',
          'results.$': '$.results',
          'groupResults.$': '$.groupResults',
          'loop.$': '$.loop',
          'childStartedAt.$': '$$.Execution.StartTime',
        },
        {
          Comment: "Commit (fenced by epoch), delete the batch's exchange objects, retention, then decide: continue, hand back, or stop",
          ResultPath: '$.loop',
          Catch: childCatch(),
          Next: 'AfterCommit',
        },
      ),
      AfterCommit: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.loop.action', StringEquals: 'continue' },
              { Variable: '$.loop.waitMs', NumericGreaterThan: 0 },
            ],
            Next: 'WaitForTrigger',
          },
          { Variable: '$.loop.action', StringEquals: 'continue', Next: TASK_STATES.plan },
        ],
        Default: 'HandBack',
      },
      WaitForTrigger: { Type: 'Wait', TimestampPath: '$.loop.waitUntil', Next: TASK_STATES.plan },
      HandBack: {
        Type: 'Pass',
        Comment: 'Back to the driver: it waits (long waits are cheaper there) and starts a fresh child, or ends the job',
        Parameters: { 'outcome.$': '$.loop.action', 'reason.$': '$.loop.reason', 'loop.$': '$.loop' },
        End: true,
      },
      StopBeforeBatch: {
        Type: 'Pass',
        Parameters: { outcome: 'stop', 'reason.$': '$.batch.reason', 'loop.$': '$.loop' },
        End: true,
      },
      Fenced: {
        Type: 'Pass',
        Comment: 'A newer driver took the job (ConcurrentDriverError): end quietly',
        Parameters: { outcome: 'fenced', reason: 'superseded', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
        End: true,
      },
      FailedPermanently: {
        Type: 'Pass',
        Parameters: { outcome: 'failed', retryable: false, reason: null, 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
        End: true,
      },
      Failed: {
        Type: 'Pass',
        Parameters: { outcome: 'failed', retryable: true, reason: null, 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
        End: true,
      },
    },
  };
}

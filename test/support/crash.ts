import type { EnginePorts, ExchangeStore } from '../../engine/ports/index.js';
import type { Sink, SinkSpec } from '../../engine/ports/sink.js';

/**
 * Step boundaries of the protocol where a crash is injected. "mid-sink-write" writes
 * the first half of a partition's rows and then dies, like a process killed between
 * two DynamoDB calls.
 */
export const CRASH_POINTS = [
  'after-plan',
  'after-range-record',
  'after-dead-letters',
  'after-state-write',
  'mid-sink-write',
  'after-sink-write',
  'after-commit',
] as const;

/**
 * The step boundaries of a two-stage batch (engine/protocol/stage-two.ts), in order: stage
 * 1 reads, writes its exchange object and its dead letters; stage 2 writes each key
 * group's state version and sink rows (a crash after the first group's write leaves the
 * others unwritten or half written); then the commit, the deletion of the batch's exchange
 * objects, and retention. "before-commit" dies after every stage-2 result came back and
 * before the commit is written.
 */
export const TWO_STAGE_CRASH_POINTS = [
  'after-plan',
  'after-range-record',
  'after-exchange-write',
  'after-dead-letters',
  'after-state-write',
  'mid-sink-write',
  'after-sink-write',
  'before-commit',
  'after-commit',
  'after-exchange-delete',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number] | (typeof TWO_STAGE_CRASH_POINTS)[number];

/** The points reached only when stage 1's output goes through the exchange store (too large to go inline). */
export const EXCHANGE_STORE_CRASH_POINTS: readonly CrashPoint[] = ['after-exchange-write', 'after-exchange-delete'];

/** Not a SluiceError and not retried: it stands for the whole process dying. */
export class SimulatedCrash extends Error {
  constructor(
    readonly point: CrashPoint,
    readonly batchId: number,
  ) {
    super(`simulated crash ${point} in batch ${batchId}`);
    this.name = 'SimulatedCrash';
  }
}

export interface CrashPlan {
  readonly point: CrashPoint;
  readonly batchId: number;
}

/**
 * Wraps ports so that the first time `plan.point` is reached in batch `plan.batchId`, the
 * call completes (or half completes) and then SimulatedCrash is thrown. From then on the
 * wrapped ports are dead: every call through them throws, as nothing more leaves a
 * killed process (executors still running beside the one that crashed write nothing).
 * The underlying stores keep whatever was written: they are the durable part that
 * survives, and recovery runs on them with fresh ports.
 */
export function withCrash(ports: EnginePorts, plan: CrashPlan): EnginePorts & { fired(): boolean } {
  let fired = false;
  const fire = (point: CrashPoint, batchId: number) => {
    if (!fired && point === plan.point && batchId === plan.batchId) {
      fired = true;
      throw new SimulatedCrash(point, batchId);
    }
  };
  const alive = () => {
    if (fired) throw new SimulatedCrash(plan.point, plan.batchId);
  };
  /** Wraps every method of an object so it throws once the process is dead. */
  const guard = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          alive();
          const result = await value.apply(obj, args);
          alive();
          return result;
        };
      },
    });
  const { wal, state, deadLetters, exchange } = ports;
  /** The batch of an exchange object's key (`…/<batch>/<partition>`, exchangeObjectKey). */
  const batchOfExchangeKey = (key: string): number => Number(key.split('/').at(-2));
  const sources: EnginePorts['sources'] = (spec) => guard(ports.sources(spec));
  const sinks = (spec: SinkSpec): Sink => {
    const inner = ports.sinks(spec);
    // A sink's optional methods pass through: commitBatch dies with the process, rowProblem is a pure check.
    const rowProblem = inner.rowProblem?.bind(inner);
    const commitBatch = inner.commitBatch?.bind(inner);
    const guarded: Sink = guard<Sink>({
      ...(commitBatch === undefined ? {} : { commitBatch }),
      get: (key) => inner.get(key),
      scan: () => inner.scan(),
      async write(request) {
        if (!fired && plan.point === 'mid-sink-write' && request.batchId === plan.batchId && request.rows.length > 0) {
          await inner.write({ ...request, rows: request.rows.slice(0, Math.ceil(request.rows.length / 2)) });
          fire('mid-sink-write', request.batchId);
        }
        const result = await inner.write(request);
        fire('after-sink-write', request.batchId);
        return result;
      },
    });
    return rowProblem === undefined ? guarded : { ...guarded, rowProblem };
  };
  return {
    ...ports,
    fired: () => fired,
    sinks,
    sources,
    wal: guard({
      acquireEpoch: (jobId) => wal.acquireEpoch(jobId),
      currentEpoch: (jobId) => wal.currentEpoch(jobId),
      getBatch: (jobId, batchId) => wal.getBatch(jobId, batchId),
      getLatestBatch: (jobId) => wal.getLatestBatch(jobId),
      listBatches: (jobId, options) => wal.listBatches(jobId, options),
      getRangeEnd: (jobId, batchId, partition) => wal.getRangeEnd(jobId, batchId, partition),
      deleteBatchesBelow: (jobId, batchId) => wal.deleteBatchesBelow(jobId, batchId),
      beginReplay: (record) => wal.beginReplay(record),
      finishReplay: (jobId, generation, finishedAt) => wal.finishReplay(jobId, generation, finishedAt),
      listReplays: (jobId) => wal.listReplays(jobId),
      supersedeBatchesAbove: (jobId, batchId, generation) => wal.supersedeBatchesAbove(jobId, batchId, generation),
      listSupersededBatches: (jobId, generation) => wal.listSupersededBatches(jobId, generation),
      async putPlan(p) {
        await wal.putPlan(p);
        fire('after-plan', p.batchId);
      },
      async recordRangeEnd(jobId, batchId, partition, end) {
        const recorded = await wal.recordRangeEnd(jobId, batchId, partition, end);
        fire('after-range-record', batchId);
        return recorded;
      },
      async commitBatch(jobId, commit) {
        fire('before-commit', commit.batchId);
        const outcome = await wal.commitBatch(jobId, commit);
        fire('after-commit', commit.batchId);
        return outcome;
      },
    }),
    state: guard({
      load: (jobId, partition, version, generation) => state.load(jobId, partition, version, generation),
      listVersions: (jobId, partition) => state.listVersions(jobId, partition),
      listPartitions: (jobId) => state.listPartitions(jobId),
      deleteVersionsBelow: (jobId, partition, version) => state.deleteVersionsBelow(jobId, partition, version),
      async write(request) {
        const written = await state.write(request);
        fire('after-state-write', request.version);
        return written;
      },
    }),
    exchange: {
      keyOf: (args) => exchange.keyOf(args),
      ...guard<Omit<ExchangeStore, 'keyOf'>>({
        readSlice: (key: string, start: number, end: number) => exchange.readSlice(key, start, end),
        async put(key: string, body: Uint8Array) {
          await exchange.put(key, body);
          fire('after-exchange-write', batchOfExchangeKey(key));
        },
        async delete(keys: readonly string[]) {
          await exchange.delete(keys);
          if (keys.length > 0) fire('after-exchange-delete', batchOfExchangeKey(keys[0]!));
        },
      }),
    },
    deadLetters: guard({
      list: (jobId) => deadLetters.list(jobId),
      page: (jobId, options) => deadLetters.page(jobId, options),
      async put(letters) {
        await deadLetters.put(letters);
        const batchId = letters[0]?.batchId;
        if (batchId !== undefined) fire('after-dead-letters', batchId);
      },
    }),
  };
}

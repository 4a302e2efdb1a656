/**
 * Where a data batch's time goes, step by step, as runDriver runs it: plan (from the end
 * of the previous batch to the first stage-1 call), stage 1 (first call to last answer),
 * stage 2 (the same for the key-group calls; 0 on the one-stage path) and commit (from
 * the last executor answer to the batch's end). The executors run as runDriver's own
 * would (runPartition, runKeyGroups, one warm state cache).
 *
 * `overlapBoundMs` is what a batch would take if stage 1 of the next batch ran beside
 * stage 2 and the commit of this one (planning N+1 while N commits, docs/performance.md):
 * the longer of (plan + stage 1) and (stage 2 + commit). It bounds what that protocol
 * change could gain; it is arithmetic on measured phases, not a measurement of it.
 */
import { runKeyGroups } from '../engine/executor/run-key-groups.js';
import { runPartition } from '../engine/executor/run-partition.js';
import { StateCache } from '../engine/executor/state-cache.js';
import type { RunDriverOptions } from '../engine/driver/run-driver.js';
import type { JobDefinition } from '../engine/job/types.js';
import type { EnginePorts } from '../engine/ports/index.js';
import { distribution, now, type Distribution } from './stats.js';

export interface BatchPhases {
  readonly planMs: Distribution;
  readonly stageOneMs: Distribution;
  readonly stageTwoMs: Distribution;
  readonly commitMs: Distribution;
  readonly overlapBoundMs: Distribution;
}

interface Marks {
  stageOne: [number, number] | null;
  stageTwo: [number, number] | null;
}

export class BatchPhaseTimer {
  private marks: Marks = { stageOne: null, stageTwo: null };
  private readonly rows: { plan: number; stageOne: number; stageTwo: number; commit: number }[] = [];

  /** runDriver options that time the executors (the caller adds its own onBatch and calls batchEnded from it). */
  runners(ports: EnginePorts, job: JobDefinition): Pick<RunDriverOptions, 'runExecutor' | 'runKeyGroups'> {
    const cache = new StateCache();
    return {
      runExecutor: (input) => this.timed('stageOne', () => runPartition(input, { ports, job, cache })),
      runKeyGroups: (input) => this.timed('stageTwo', () => runKeyGroups(input, { ports, job, cache })),
    };
  }

  /** The batch that started at `startedAt` ended now; `withRecords`: keep its phases. */
  batchEnded(startedAt: number, withRecords: boolean): void {
    const { stageOne, stageTwo } = this.marks;
    this.marks = { stageOne: null, stageTwo: null };
    if (!withRecords || stageOne === null) return;
    const lastAnswer = stageTwo?.[1] ?? stageOne[1];
    this.rows.push({
      plan: stageOne[0] - startedAt,
      stageOne: stageOne[1] - stageOne[0],
      stageTwo: stageTwo === null ? 0 : stageTwo[1] - stageTwo[0],
      commit: now() - lastAnswer,
    });
  }

  result(): BatchPhases {
    const of = (f: (r: (typeof this.rows)[number]) => number) => distribution(this.rows.map(f));
    return {
      planMs: of((r) => r.plan),
      stageOneMs: of((r) => r.stageOne),
      stageTwoMs: of((r) => r.stageTwo),
      commitMs: of((r) => r.commit),
      overlapBoundMs: of((r) => Math.max(r.plan + r.stageOne, r.stageTwo + r.commit)),
    };
  }

  private async timed<R>(stage: keyof Marks, run: () => Promise<R>): Promise<R> {
    const started = now();
    try {
      return await run();
    } finally {
      const span = this.marks[stage];
      this.marks[stage] = [Math.min(span?.[0] ?? started, started), Math.max(span?.[1] ?? 0, now())];
    }
  }
}

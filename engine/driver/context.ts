import type { JobDefinition } from '../job/types.js';
import type { EnginePorts } from '../ports/index.js';
import type { ReadBudget } from '../executor/read-range.js';

/** What every driver step needs besides its (small, serialisable) input. */
export interface DriverContext {
  readonly ports: EnginePorts;
  readonly job: JobDefinition;
  /**
   * A range's read budget (default RANGE_READ_BUDGET, engine/executor/read-range.ts). The
   * plan gives its bytes to every range a source fixes (Kafka) as the range's byte bound;
   * executors take their own from their context. Tests set a small one.
   */
  readonly readBudget?: ReadBudget;
}

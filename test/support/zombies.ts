import type { EnginePorts } from '../../engine/ports/index.js';

/**
 * Executor attempts that stall after their reads and write late: each runs on ports whose
 * writes (state versions, sink rows, dead letters, exchange objects) wait until the test
 * releases it, as an attempt a retry replaced may still finish long after.
 */
export class Zombies {
  private readonly held: { readonly batchId: number; readonly release: () => void }[] = [];
  private readonly running: Promise<void>[] = [];
  private writes = 0;

  constructor(private readonly ports: EnginePorts) {}

  /** Starts an attempt of batch `batchId`'s work whose writes wait for its release; its outcome is ignored. */
  start(batchId: number, run: (ports: EnginePorts) => Promise<unknown>): void {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.held.push({ batchId, release });
    this.running.push(
      run(this.gated(gate)).then(
        () => undefined,
        () => undefined,
      ),
    );
  }

  /** Lets the attempts of batches up to `batchId` write. */
  release(batchId: number): void {
    for (const zombie of this.held) if (zombie.batchId <= batchId) zombie.release();
  }

  /** Lets every attempt write, and waits until all of them have ended. */
  async releaseAll(): Promise<void> {
    for (const zombie of this.held) zombie.release();
    await Promise.all(this.running);
  }

  /** How many writes the attempts made after their release. */
  wrote(): number {
    return this.writes;
  }

  private gated(gate: Promise<void>): EnginePorts {
    const late = <T extends object>(target: T, method: string): T =>
      new Proxy(target, {
        get: (obj, prop, receiver) => {
          const value = Reflect.get(obj, prop, receiver);
          if (typeof value !== 'function') return value;
          if (prop !== method) return value.bind(obj);
          return async (...args: unknown[]) => {
            await gate;
            const result = await value.apply(obj, args);
            this.writes += 1;
            return result;
          };
        },
      });
    const { ports } = this;
    return {
      ...ports,
      state: late(ports.state, 'write'),
      exchange: late(ports.exchange, 'put'),
      deadLetters: late(ports.deadLetters, 'put'),
      sinks: (spec) => late(ports.sinks(spec), 'write'),
    };
  }
}

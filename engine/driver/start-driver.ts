import type { DriverContext } from './context.js';

export interface StartDriverInput {
  readonly jobId: string;
}

export interface StartDriverResult {
  readonly jobId: string;
  readonly epoch: number;
}

/**
 * A driver's first step: take a new epoch. From now on this driver's plans and commits
 * are the only ones accepted; an older driver still running (a zombie) is fenced.
 */
export async function startDriver(input: StartDriverInput, ctx: DriverContext): Promise<StartDriverResult> {
  const epoch = await ctx.ports.wal.acquireEpoch(input.jobId);
  ctx.ports.logger.info('driver started', { jobId: input.jobId, epoch });
  return { jobId: input.jobId, epoch };
}

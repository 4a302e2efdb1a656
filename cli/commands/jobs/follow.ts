/**
 * `--wait`: follows a job until it ends, polling its status every second and printing each
 * committed batch and each change of state on stderr (the last line, the job's end, on
 * stdout).
 */
import type { ApiClient } from '../../api-client.js';
import { EXIT } from './run-on-api.js';

/** Exit 0 when the job is STOPPED; 1 when it FAILED, or when `timeoutMs` (null: never) runs out first. */
export async function follow(client: ApiClient, jobId: string, timeoutMs: number | null): Promise<number> {
  const started = Date.now();
  let lastBatch: number | null = null;
  let lastState: string | null = null;
  for (;;) {
    const s = await client.jobStatus(jobId);
    if (s.state !== lastState) {
      progress(`job ${jobId}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`);
      lastState = s.state;
    }
    const b = s.lastCommittedBatch;
    if (b !== null && b.batchId !== lastBatch) {
      if (lastBatch !== null || s.state !== 'RUNNING') {
        progress(
          `  batch ${b.batchId} committed: ${(b.records ?? 0).toLocaleString('en-US')} records in ${b.durationMs ?? '-'} ms, lag ${b.lagMs === null ? '-' : `${b.lagMs} ms`}`,
        );
      }
      lastBatch = b.batchId;
    }
    if (s.state === 'STOPPED' || s.state === 'FAILED') {
      console.log(
        `job ${jobId} is ${s.state}${s.reason ? `: ${s.reason}` : ''}${s.lastCommittedBatch ? ` (last committed batch ${s.lastCommittedBatch.batchId})` : ''}`,
      );
      return s.state === 'STOPPED' ? EXIT.ok : EXIT.failed;
    }
    if (timeoutMs !== null && Date.now() - started > timeoutMs) {
      console.error(`gave up waiting after ${Math.round(timeoutMs / 1000)} s: job ${jobId} is ${s.state}`);
      return EXIT.failed;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * An executor's writes of one scope's output to the job's sinks (engine/job/outputs.ts):
 * rows without an output to every one of the job's sinks, rows of a named output to that
 * output's sinks, and dead letters to the dead-letter table and, when the job declares
 * it, as rows of its dead-letters sink.
 *
 * Every write carries the batch's id and generation, and every sink is idempotent by them
 * (or states its guarantee): a retry, a zombie or a replay writes the same rows again, so
 * the writes may run at the same time and in any order. None counts before the commit.
 */
import type { JobDefinition } from '../job/types.js';
import type { DeadLetter } from '../ports/dead-letter-queue.js';
import { deadLetterId } from '../ports/dead-letter-queue.js';
import type { EnginePorts } from '../ports/index.js';
import type { Sink, SinkRow, SinkSpec, SinkWriteResult } from '../ports/sink.js';

export interface SinkWhere {
  readonly jobId: string;
  readonly batchId: number;
  readonly generation: number;
  /** The scope writing: a partition, or a key group's scope. */
  readonly partition: string;
}

/** The rows of each sink, and the rows no sink of theirs takes: an undeclared output, or a sink's rowProblem (dead letters, stage 'sink'). */
export function routeRows(
  job: Pick<JobDefinition, 'sinks' | 'outputs'>,
  rows: readonly SinkRow[],
  sinkOf?: (spec: SinkSpec) => Pick<Sink, 'rowProblem'>,
): { writes: { sink: SinkSpec; rows: SinkRow[] }[]; undeclared: { key: string; json: string; reason: string }[] } {
  const main: SinkRow[] = [];
  const byOutput = new Map<string, SinkRow[]>();
  const undeclared: { key: string; json: string; reason: string }[] = [];
  for (const row of rows) {
    if (row.output === undefined) {
      main.push(row);
    } else if (Object.hasOwn(job.outputs, row.output)) {
      const list = byOutput.get(row.output) ?? [];
      byOutput.set(row.output, list);
      list.push({ key: row.key, value: row.value });
    } else {
      const declared = Object.keys(job.outputs);
      const reason =
        `its output '${row.output}' is not one of the job's outputs ` +
        `(${declared.length === 0 ? 'it declares none' : `declared: ${declared.join(', ')}`}): declare it in the job's outputs`;
      undeclared.push({ key: row.key, json: JSON.stringify(row.value), reason });
    }
  }
  const writes: { sink: SinkSpec; rows: SinkRow[] }[] = [];
  // A row one sink can never take (its rowProblem: a file sink's partition path that is no
  // safe path segment) is a dead letter there, and still written to the others.
  const add = (sink: SinkSpec, list: readonly SinkRow[]) => {
    const target = sinkOf?.(sink);
    const problemOf = target?.rowProblem?.bind(target);
    const ok: SinkRow[] = [];
    for (const row of list) {
      const problem = problemOf?.(row);
      if (problem === undefined) ok.push(row);
      else undeclared.push({ key: row.key, json: JSON.stringify(row.value), reason: problem });
    }
    if (ok.length > 0) writes.push({ sink, rows: ok });
  };
  if (main.length > 0) for (const sink of job.sinks) add(sink, main);
  for (const [output, list] of byOutput) for (const sink of job.outputs[output]!) add(sink, list);
  return { writes, undeclared };
}

/**
 * Writes each sink's rows (routeRows), all at once. The result adds up the sinks': the
 * rows any of them refused for good (SinkWriteResult.rejected) become dead letters.
 */
export async function writeRows(
  ports: EnginePorts,
  where: SinkWhere,
  writes: readonly { sink: SinkSpec; rows: SinkRow[] }[],
): Promise<SinkWriteResult> {
  const results = await Promise.all(writes.map(({ sink, rows }) => ports.sinks(sink).write({ ...where, rows })));
  const rejected = results.flatMap((r) => r.rejected ?? []);
  return {
    written: results.reduce((n, r) => n + r.written, 0),
    skipped: results.reduce((n, r) => n + r.skipped, 0),
    ...(rejected.length === 0 ? {} : { rejected }),
  };
}

/**
 * Puts dead letters in the dead-letter table and, when the job declares a dead-letters
 * sink, writes them as its rows too: keyed by the letter's id (the same on every run of
 * the batch), without the time it was recorded, so a rewrite writes the same row.
 */
export async function putDeadLetters(
  job: Pick<JobDefinition, 'deadLetters'>,
  ports: EnginePorts,
  where: SinkWhere,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  const rows: SinkRow[] = letters.map((letter) => {
    const { recordedAt: _recordedAt, ...fields } = letter;
    return { key: deadLetterId(letter), value: { ...fields } };
  });
  await Promise.all([
    ports.deadLetters.put([...letters]),
    job.deadLetters === undefined ? undefined : ports.sinks(job.deadLetters.sink).write({ ...where, rows }),
  ]);
}

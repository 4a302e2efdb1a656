import type { SinkSpec } from '../ports/sink.js';
import { checkSink } from './connectors.js';
import { requireObject, show, specError } from './spec-checks.js';
import type { CompiledPipeline, LateRecordsOutput } from './types.js';

/**
 * Where a job's rows go (JobSpec.sink, outputs, lateRecords, deadLetters):
 *
 *   sink          the job's rows: one sink, or several, each receiving every row
 *   outputs       named side outputs: a row a process function emits with
 *                 `{ output: 'alerts' }` goes to the sinks of `outputs.alerts`, not to the
 *                 job's sinks; a row for an output the job does not declare is a dead
 *                 letter (stage 'sink'), never dropped
 *   lateRecords   late records (lateness.ts), one sink
 *   deadLetters   a copy of every dead letter as a row of a sink, besides the dead-letter
 *                 table (which stays the place the API and the CLI read them from)
 *
 * Every sink is written with the batch's id and generation, so each keeps its guarantee
 * (docs/sinks) on retry, zombie and replay. A sink may serve one role only: two roles'
 * rows in one sink would mix, and one row key could mean two things.
 */
export interface JobOutputs {
  /** The job's sinks: every row without an output goes to each. */
  readonly sinks: readonly SinkSpec[];
  /** Named side outputs and their sinks. */
  readonly outputs: Readonly<Record<string, readonly SinkSpec[]>>;
  readonly lateRecords?: LateRecordsOutput;
  readonly deadLetters?: { readonly sink: SinkSpec };
}

/** An output's name: like a job's, so that it reads well in logs and row fields. */
const OUTPUT_NAME = /^[a-z][a-zA-Z0-9-]{0,62}$/;

export function checkOutputs(
  fields: { readonly sink?: unknown; readonly outputs?: unknown; readonly lateRecords?: unknown; readonly deadLetters?: unknown },
  pipeline: CompiledPipeline,
): JobOutputs {
  const used = new Map<string, string>();
  const use = (spec: SinkSpec, field: string): SinkSpec => {
    const id = JSON.stringify(spec);
    const other = used.get(id);
    if (other !== undefined) {
      throw specError(field, `is the same sink as ${other}: one sink serves one output, or their rows would mix`);
    }
    used.set(id, field);
    return spec;
  };
  const listOf = (value: unknown, field: string): SinkSpec[] => {
    if (!Array.isArray(value)) return [use(checkSink(value, field), field)];
    if (value.length === 0) throw specError(field, 'must name at least one sink');
    return value.map((spec, i) => use(checkSink(spec, `${field}[${i}]`), `${field}[${i}]`));
  };

  const sinks = listOf(fields.sink, 'sink');
  const outputs: Record<string, readonly SinkSpec[]> = {};
  if (fields.outputs !== undefined) {
    const declared = requireObject('outputs', fields.outputs);
    for (const [name, output] of Object.entries(declared)) {
      if (!OUTPUT_NAME.test(name)) {
        throw specError(`outputs.${name}`, "must be named with 1-63 letters, digits or '-', starting with a lower-case letter");
      }
      outputs[name] = Object.freeze(listOf(onlySink(output, `outputs.${name}`), `outputs.${name}.sink`));
    }
  }
  let lateRecords: LateRecordsOutput | undefined;
  if (fields.lateRecords !== undefined) {
    const sink = use(checkSink(onlySink(fields.lateRecords, 'lateRecords'), 'lateRecords.sink'), 'lateRecords.sink');
    if (pipeline.allowedLatenessMs === null) {
      throw specError(
        'lateRecords',
        'declares where late records go, but this pipeline has no withWatermark(): without a watermark nothing is late',
      );
    }
    lateRecords = Object.freeze({ sink });
  }
  const deadLetters =
    fields.deadLetters === undefined
      ? undefined
      : Object.freeze({ sink: use(checkSink(onlySink(fields.deadLetters, 'deadLetters'), 'deadLetters.sink'), 'deadLetters.sink') });
  return Object.freeze({
    sinks: Object.freeze(sinks),
    outputs: Object.freeze(outputs),
    ...(lateRecords === undefined ? {} : { lateRecords }),
    ...(deadLetters === undefined ? {} : { deadLetters }),
  });
}

/** `{ sink }`: the one field of an output's declaration. */
function onlySink(value: unknown, field: string): unknown {
  const fields = requireObject(field, value);
  for (const key of Object.keys(fields)) {
    if (key !== 'sink') throw specError(`${field}.${key}`, `is not a field of ${field} (it has one: sink), got ${show(key)}`);
  }
  return fields.sink;
}

/** Every sink a job writes: its sinks, its outputs', its late records' and its dead letters'. */
export function allSinksOf(job: Pick<JobOutputs, 'sinks' | 'outputs' | 'lateRecords' | 'deadLetters'>): SinkSpec[] {
  return [
    ...job.sinks,
    ...Object.values(job.outputs).flat(),
    ...(job.lateRecords === undefined ? [] : [job.lateRecords.sink]),
    ...(job.deadLetters === undefined ? [] : [job.deadLetters.sink]),
  ];
}

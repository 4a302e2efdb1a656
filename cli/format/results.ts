/** Text `sluice jobs results` prints for a page of a job's sink rows (engine/api/results.ts). */
import type { ResultRowView, ResultsPage } from '../../engine/api/results.js';
import { table } from './table.js';

/** A value is cut to this many characters as text (--json prints it whole). */
const VALUE_WIDTH = 120;

export function formatResults(sink: ResultsPage['sink'], rows: readonly ResultRowView[]): string[] {
  const where = `${sink.type} sink ${sink.name}`;
  if (rows.length === 0) return [`no rows in the ${where}`];
  return [
    `${rows.length} row${rows.length === 1 ? '' : 's'} of the ${where}`,
    ...table(
      [
        ['KEY', 'BATCH', 'GENERATION', 'VALUE'],
        ...rows.map((r) => [r.key, String(r.batchId), String(r.generation), cut(JSON.stringify(r.value), VALUE_WIDTH)]),
      ],
      { align: 'lrrl' },
    ),
  ];
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/**
 * The one text-table printer of the command-line tools and the benchmark reports: rows of
 * cells in columns padded to their widest cell. Lines carry no trailing spaces, so a table
 * pasted into an issue or compared in a test reads the same as on the terminal.
 */

export interface TableOptions {
  /**
   * One letter per column, `l` (left, the default) or `r` (right: numbers); the last letter
   * stands for every column after it, so `lr` is a name column followed by figures.
   */
  readonly align?: string;
  /** Between columns (default two spaces). */
  readonly gap?: string;
}

/** The rows as aligned lines; rows may have fewer cells than others (the missing ones are empty). */
export function table(rows: readonly (readonly string[])[], options: TableOptions = {}): string[] {
  const align = options.align ?? 'l';
  const gap = options.gap ?? '  ';
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, c) => {
      widths[c] = Math.max(widths[c] ?? 0, cell.length);
    });
  const right = (c: number): boolean => (align[Math.min(c, align.length - 1)] ?? 'l') === 'r';
  return rows.map((row) =>
    row
      .map((cell, c) => (right(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join(gap)
      .trimEnd(),
  );
}

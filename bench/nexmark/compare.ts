/**
 * Compares a query's sink with its reference as multisets of rows: the same rows, each as
 * many times, whatever their row keys (a stateless query's keys are record offsets, which
 * the reference does not know). Rows compare as JSON with sorted object keys.
 */

/** JSON with every object's keys sorted: equal for equal rows whatever order their fields were built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface Comparison {
  readonly expected: number;
  readonly actual: number;
  readonly exact: boolean;
  /** Up to `limit` rows missing from the sink and rows the sink has beyond the reference. */
  readonly missing: string[];
  readonly unexpected: string[];
}

export function compareRows(expected: readonly unknown[], actual: readonly unknown[], limit = 5): Comparison {
  const counts = new Map<string, number>();
  for (const row of expected) {
    const k = canonicalJson(row);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const unexpected: string[] = [];
  for (const row of actual) {
    const k = canonicalJson(row);
    const n = counts.get(k) ?? 0;
    if (n === 0) unexpected.push(k);
    else if (n === 1) counts.delete(k);
    else counts.set(k, n - 1);
  }
  const missing = [...counts].flatMap(([k, n]) => Array.from({ length: n }, () => k));
  return {
    expected: expected.length,
    actual: actual.length,
    exact: missing.length === 0 && unexpected.length === 0,
    missing: missing.slice(0, limit),
    unexpected: unexpected.slice(0, limit),
  };
}

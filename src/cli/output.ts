/**
 * CLI output: every field snake_case and every time ISO 8601 (UTC). Lists print an aligned table
 * for people, or with `--json` the same rows as a JSON array for scripts.
 */

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.join(',') || '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Rows as an aligned text table with the given columns (snake_case headers). */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

export function printList(
  write: (text: string) => void,
  rows: Record<string, unknown>[],
  columns: string[],
  json: boolean,
): void {
  write(json ? JSON.stringify(rows, null, 2) : table(rows, columns));
}

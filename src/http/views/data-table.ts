/**
 * The view model of `templates/shared/data-table.hbs`: a table that becomes cards on a phone.
 * Cells are plain text (escaped by the template), optionally a link, a badge or a mono sub-line.
 */

export interface TableCell {
  text: string;
  href?: string;
  sub?: string;
  badge?: string;
  badgeClass?: string;
  mono?: boolean;
  className?: string;
}

export interface TableModel {
  columns: { label: string }[];
  rows: { id?: string; cells: TableCell[] }[];
  empty: string;
  className?: string;
}

export function dataTable<T>(
  items: T[],
  columns: { label: string; cell: (item: T) => TableCell | string }[],
  options: { empty: string; className?: string; id?: (item: T) => string },
): TableModel {
  return {
    columns: columns.map((c) => ({ label: c.label })),
    rows: items.map((item) => ({
      ...(options.id ? { id: options.id(item) } : {}),
      cells: columns.map((c) => {
        const v = c.cell(item);
        return typeof v === 'string' ? { text: v } : v;
      }),
    })),
    empty: options.empty,
    ...(options.className ? { className: options.className } : {}),
  };
}

import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from '@tanstack/react-table';
import { useMemo, type ReactNode } from 'react';
import type { SortDirection } from '../../lib/listParams';
import { LoadingState } from '../LoadingState/LoadingState';

export interface DataTableColumn<T> {
  id: string;
  header: string;
  cell: (row: T) => ReactNode;
  numeric?: boolean;
  sortable?: boolean;
}

export interface DataTableProps<T> {
  /** Names the table for assistive technology (a visually hidden caption). */
  caption: string;
  columns: DataTableColumn<T>[];
  rows: T[];
  getRowId: (row: T) => string;
  /** Server-side sort: the primary key and its direction. */
  sort?: { id: string; direction: Exclude<SortDirection, null> } | null;
  onSort?: (columnId: string) => void;
  /** Says "Updating…" while a new page loads (rows stay readable). */
  busy?: boolean;
}

const ARIA_SORT = { asc: 'ascending', desc: 'descending' } as const;

/**
 * A table of records (TanStack Table) whose sorting is done by the server:
 * a header button per sortable column reports clicks, `aria-sort` tells the
 * current order.
 */
export function DataTable<T>({ caption, columns, rows, getRowId, sort = null, onSort, busy = false }: DataTableProps<T>) {
  const defs = useMemo<ColumnDef<T>[]>(
    () =>
      columns.map((c) => ({
        id: c.id,
        header: c.header,
        accessorFn: (row: T) => row,
        cell: (ctx) => c.cell(ctx.row.original),
        enableSorting: Boolean(c.sortable && onSort),
        meta: { numeric: c.numeric },
      })),
    [columns, onSort],
  );
  const sorting: SortingState = sort ? [{ id: sort.id, desc: sort.direction === 'desc' }] : [];
  const table = useReactTable({
    data: rows,
    columns: defs,
    state: { sorting },
    manualSorting: true,
    getRowId,
    getCoreRowModel: getCoreRowModel(),
  });
  return (
    <div className="table-wrap" style={{ position: 'relative' }}>
      {busy && (
        <div className="table-busy">
          <LoadingState inline label="Updating…" />
        </div>
      )}
      <table className="table" aria-busy={busy || undefined}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((h) => {
                const numeric = h.column.columnDef.meta?.numeric;
                const dir = h.column.getIsSorted();
                const label = flexRender(h.column.columnDef.header, h.getContext());
                return (
                  <th
                    key={h.id}
                    scope="col"
                    className={numeric ? 'num' : undefined}
                    aria-sort={dir ? ARIA_SORT[dir] : h.column.getCanSort() ? 'none' : undefined}
                  >
                    {h.column.getCanSort() ? (
                      <button type="button" className="sort-button" onClick={() => onSort?.(h.column.id)}>
                        {label}
                        <span className="sort-indicator" aria-hidden="true">
                          {dir === 'asc' ? '▲' : dir === 'desc' ? '▼' : '↕'}
                        </span>
                      </button>
                    ) : (
                      label
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((r) => (
            <tr key={r.id}>
              {r.getVisibleCells().map((cell) => {
                const numeric = cell.column.columnDef.meta?.numeric;
                return (
                  <td key={cell.id} className={numeric ? 'num' : undefined}>
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

import {
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import type { DictValue, MetricType, ReportDimension, ReportRow } from '../../api/types';
import { changeTone, formatChange, formatMetric } from '../../lib/format';
import './MetricTable.css';

export interface DimensionColumn {
  key: string;
  label: string;
  type: ReportDimension['type'];
}

export interface MetricColumn {
  key: string;
  label: string;
  type: MetricType;
  higherIsBetter?: boolean;
}

export interface MetricTableProps {
  caption: string;
  dimensions: DimensionColumn[];
  metrics: MetricColumn[];
  rows: ReportRow[];
  totals?: ReportRow | undefined;
  /** The account's currency for money metrics (meta.currency). */
  currency?: string | undefined;
  locale?: string | undefined;
  /** Initial client-side sort, e.g. [{ id: 'revenue', desc: true }]. */
  initialSort?: SortingState;
  /**
   * Server-side sort: the rows come sorted, `sorting` says by what, and a
   * header click calls `onSortingChange` instead of reordering the rows.
   */
  sorting?: SortingState | undefined;
  onSortingChange?: ((sorting: SortingState) => void) | undefined;
}

function dimensionText(v: unknown): string {
  if (v === null || v === undefined || v === '') return '(none)';
  if (typeof v === 'object' && 'name' in (v as DictValue)) return String((v as DictValue).name);
  return String(v);
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

function sortValue(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return Number.NEGATIVE_INFINITY;
  return dimensionText(v).toLowerCase();
}

const ARIA_SORT = { asc: 'ascending', desc: 'descending' } as const;

/**
 * Report rows with a totals row (TanStack Table). Numbers are formatted by
 * metric type; with a comparison, each value shows its change, coloured by
 * whether higher is better. Sorting is client-side over the loaded rows,
 * or done by the server when `sorting` is given.
 */
export function MetricTable({
  caption,
  dimensions,
  metrics,
  rows,
  totals,
  currency,
  locale,
  initialSort = [],
  sorting: serverSorting,
  onSortingChange,
}: MetricTableProps) {
  const [ownSorting, setOwnSorting] = useState<SortingState>(initialSort);
  const serverSide = serverSorting !== undefined;
  const sorting = serverSorting ?? ownSorting;
  const columns = useMemo<ColumnDef<ReportRow>[]>(
    () => [
      ...dimensions.map<ColumnDef<ReportRow>>((d) => ({
        id: d.key,
        header: d.label,
        accessorFn: (r) => sortValue(r[d.key]),
        cell: (ctx) => dimensionText(ctx.row.original[d.key]),
        sortingFn: 'basic',
        sortUndefined: 'last',
        meta: { numeric: false },
      })),
      ...metrics.map<ColumnDef<ReportRow>>((m) => ({
        id: m.key,
        header: m.label,
        accessorFn: (r) => num(r[m.key]) ?? Number.NEGATIVE_INFINITY,
        sortDescFirst: true,
        sortingFn: 'basic',
        meta: { numeric: true },
        cell: (ctx) => {
          const r = ctx.row.original;
          const value = formatMetric(num(r[m.key]), m.type, { currency, locale });
          if (!r.change || !(m.key in r.change)) return value;
          const change = r.change[m.key];
          const prev = r.compare?.[m.key];
          const tone = changeTone(change, m.higherIsBetter ?? true);
          return (
            <span className="metric-with-change">
              <span>{value}</span>
              <span className={`metric-change change-${tone}`}>
                {formatChange(change, locale)}
                <span className="visually-hidden">
                  {' '}
                  compared with {formatMetric(num(prev), m.type, { currency, locale })}
                </span>
              </span>
            </span>
          );
        },
      })),
    ],
    [dimensions, metrics, currency, locale],
  );
  const table = useReactTable({
    data: rows,
    columns,
    state: { sorting },
    onSortingChange: (update) => {
      const next = typeof update === 'function' ? update(sorting) : update;
      if (serverSide) onSortingChange?.(next);
      else setOwnSorting(next);
    },
    manualSorting: serverSide,
    enableMultiSort: !serverSide,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
  });

  return (
    <div className="table-wrap">
      <table className="table metric-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((h) => {
                const numeric = h.column.columnDef.meta?.numeric;
                const dir = h.column.getIsSorted();
                return (
                  <th key={h.id} scope="col" className={numeric ? 'num' : undefined} aria-sort={dir ? ARIA_SORT[dir] : 'none'}>
                    <button type="button" className="sort-button" onClick={h.column.getToggleSortingHandler()}>
                      {flexRender(h.column.columnDef.header, h.getContext())}
                      <span className="sort-indicator" aria-hidden="true">
                        {dir === 'asc' ? '▲' : dir === 'desc' ? '▼' : '↕'}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.length === 0 ? (
            <tr>
              <td colSpan={dimensions.length + metrics.length} className="muted">
                No data for this period.
              </td>
            </tr>
          ) : (
            table.getRowModel().rows.map((r) => (
              <tr key={r.id}>
                {r.getVisibleCells().map((cell, i) => {
                  const numeric = cell.column.columnDef.meta?.numeric;
                  const content = flexRender(cell.column.columnDef.cell, cell.getContext());
                  return i === 0 && !numeric ? (
                    <th key={cell.id} scope="row">
                      {content}
                    </th>
                  ) : (
                    <td key={cell.id} className={numeric ? 'num' : undefined}>
                      {content}
                    </td>
                  );
                })}
              </tr>
            ))
          )}
        </tbody>
        {totals && (
          <tfoot>
            <tr>
              {dimensions.length > 0 ? (
                <th scope="row" colSpan={dimensions.length}>
                  Total
                </th>
              ) : null}
              {metrics.map((m, i) => {
                const change = totals.change?.[m.key];
                return (
                  <td key={m.key} className="num">
                    {dimensions.length === 0 && i === 0 && <span className="visually-hidden">Total </span>}
                    <span className="metric-with-change">
                      <span>{formatMetric(num(totals[m.key]), m.type, { currency, locale })}</span>
                      {totals.change && m.key in totals.change && (
                        <span className={`metric-change change-${changeTone(change, m.higherIsBetter ?? true)}`}>
                          {formatChange(change, locale)}
                        </span>
                      )}
                    </span>
                  </td>
                );
              })}
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

// Report page URL state → API queries (§10.2). URL:
//   /a/<token>/reports?report=report-my-data&group_by=channel&metric=revenue&period=last_7_days&compare=previous_period
import type { ApiRoot, ReportRow, ReportSchema } from '../../api/types';
import { isReportResource, paths } from '../../api/paths';
import { periodApiParams, type PeriodState } from '../../lib/dateRange';

export function reportNames(root: ApiRoot): string[] {
  return Object.keys(root).filter(isReportResource).sort();
}

/** The date dimension used for periods and graphs, if the report has one. */
export function dateDimension(schema: ReportSchema): string | null {
  const dims = Object.entries(schema.dimensions);
  return (dims.find(([n, d]) => d.type === 'date' && n === 'date') ?? dims.find(([, d]) => d.type === 'date'))?.[0] ?? null;
}

/** The dimension to group the table by: the URL's if valid, else the first non-date one. */
export function groupBy(schema: ReportSchema, requested: string | null): string | null {
  if (requested && requested in schema.dimensions) return requested;
  const date = dateDimension(schema);
  return Object.keys(schema.dimensions).find((d) => d !== date) ?? date;
}

export function chartMetric(schema: ReportSchema, requested: string | null): string | null {
  if (requested && requested in schema.metrics) return requested;
  return Object.keys(schema.metrics)[0] ?? null;
}

/**
 * Filters from the page URL the report accepts: `model` (attribution model
 * id) when the report has a model dimension; other dimensions as
 * `f.<dimension>=<value>` → `<dimension>=<value>`.
 */
export function reportFilters(schema: ReportSchema, page: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  const model = page.get('model');
  if (model && 'model' in schema.dimensions && /^\d+$/.test(model)) out.set('model', model);
  for (const [k, v] of page) {
    if (!k.startsWith('f.') || v === '') continue;
    const dim = k.slice(2);
    if (dim in schema.dimensions && dim !== 'model' && schema.filtering?.[dim] !== undefined) out.set(dim, v);
  }
  return out;
}

export function tableQuery(account: string, schema: ReportSchema, period: PeriodState, group: string | null, filters?: URLSearchParams): URLSearchParams {
  const p = new URLSearchParams({ account });
  for (const [k, v] of filters ?? []) p.append(k, v);
  if (group) p.set('group_by', group);
  p.set('totals', 'true');
  const date = dateDimension(schema);
  if (date) for (const [k, v] of periodApiParams(period, date)) p.append(k, v);
  p.set('limit', '100');
  return p;
}

export function graphQuery(account: string, schema: ReportSchema, period: PeriodState, metric: string, filters?: URLSearchParams): URLSearchParams | null {
  const date = dateDimension(schema);
  if (!date) return null;
  const p = new URLSearchParams({ account, graph: 'true', graph_group_by: date, graph_group_by_type: `${date}__daily` });
  for (const [k, v] of filters ?? []) p.append(k, v);
  for (const [k, v] of periodApiParams(period, date)) p.append(k, v);
  p.set('selected_fields', `${date},${metric}`);
  return p;
}

/** The table's query as a CSV download (format=csv, every row up to the server's cap, no totals). */
export function csvUrl(report: string, table: URLSearchParams): string {
  const q = new URLSearchParams(table);
  q.delete('limit');
  q.delete('totals');
  q.set('format', 'csv');
  return `${paths.list(report)}?${q.toString()}`;
}

/** Which chart the page shows: over time (line) when the report has dates, else (or on request) by the group (bar). */
export function chartKind(date: string | null, group: string | null, requested: string | null): 'line' | 'bar' {
  const canBar = group !== null && group !== date;
  if (!date) return 'bar';
  return requested === 'bar' && canBar ? 'bar' : 'line';
}

/** A dimension value as text: dict values by name (§10.1). */
export function dimensionText(v: unknown): string {
  if (v === null || v === undefined) return '(none)';
  if (typeof v === 'object' && 'name' in v) return String(v.name);
  return String(v);
}

/** Table rows → bars of one metric per group (with the comparison value when asked). */
export function breakdownBars(rows: ReportRow[], group: string, metric: string, withCompare: boolean) {
  return rows.map((r) => {
    const v = r[metric];
    const c = r.compare?.[metric];
    return {
      label: dimensionText(r[group]),
      value: typeof v === 'number' ? v : null,
      ...(withCompare ? { compare: typeof c === 'number' ? c : null } : {}),
    };
  });
}

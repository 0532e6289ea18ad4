// Report page URL state → API queries (§10.2). Every report has its own
// route and keeps its state in the search params:
//   /a/<token>/reports/report-my-data?group_by=channel&metric=revenue&period=last_7_days
//     &compare=previous_period&model=2&f.channel=1,2&f.device=mobile&order_by=-revenue&offset=100
// Old links (/a/<token>/reports?report=<name>&…) redirect to the report's route.
import type { SortingState } from '@tanstack/react-table';
import { isReportResource, paths, resourceFromSchemaPath } from '../../api/paths';
import type { ApiRoot, ListResponse, ReportResponse, ReportRow, ReportSchema, ResourceObject } from '../../api/types';
import { accountBase } from '../../lib/accountPath';
import { periodApiParams, type PeriodState } from '../../lib/dateRange';
import { allowsLookup, intParam } from '../../lib/listParams';
import type { ValueOption } from '../../components/ValueFilter/ValueFilter';
import { objectLabel, RELATED_LIMIT } from '../config/related';

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

/** The route of one report, with its URL state (a query string, with or without `?`). */
export function reportPath(token: string, report: string, search = ''): string {
  const q = search.replace(/^\?/, '');
  return `${accountBase(token)}/reports/${encodeURIComponent(report)}${q ? `?${q}` : ''}`;
}

/** URL state that means the same on every report: the period and the comparison. */
const SHARED_KEYS = ['period', 'from', 'to', 'compare'];

/** The search params a link to another report keeps from this one. */
export function sharedReportParams(page: URLSearchParams): URLSearchParams {
  return new URLSearchParams([...page].filter(([k]) => SHARED_KEYS.includes(k)));
}

/**
 * Where an old `/reports?report=<name>&…` link goes now: the report's
 * route with every other parameter kept. Null when there is no `report`.
 */
export function legacyReportTarget(token: string, page: URLSearchParams): string | null {
  const report = page.get('report');
  if (!report) return null;
  const rest = new URLSearchParams(page);
  rest.delete('report');
  return reportPath(token, report, rest.toString());
}

/**
 * Dict dimensions (§10.1: ids joined to a name dictionary) the page filters
 * by picking values: those accepting `__in`. The attribution model has its
 * own select (one model at a time), so it is not one of them.
 */
export function dictFilterDimensions(schema: ReportSchema): string[] {
  return Object.entries(schema.dimensions)
    .filter(([k, d]) => d.type === 'dict' && k !== 'model' && allowsLookup(schema.filtering?.[k], 'in'))
    .map(([k]) => k);
}

/** String dimensions the page filters with a typed value (`f.<dim>=<value>`). */
export function textFilterDimensions(schema: ReportSchema): string[] {
  return Object.entries(schema.dimensions)
    .filter(([k, d]) => d.type === 'string' && schema.filtering?.[k] !== undefined)
    .map(([k]) => k);
}

/** Picked ids of a dict dimension: `f.<dim>=1,2` → ['1', '2'] (ids only, no repeats). */
export function readPicked(page: URLSearchParams, dim: string): string[] {
  const ids = (page.get(`f.${dim}`) ?? '').split(',').filter((v) => /^\d+$/.test(v));
  return [...new Set(ids)];
}

/** The page URL with `dim`'s picked ids replaced (none: the parameter goes) and paging restarted. */
export function writePicked(page: URLSearchParams, dim: string, ids: string[]): URLSearchParams {
  return withParam(page, `f.${dim}`, ids.join(','));
}

/** Page URL keys that change the view, not the table's rows: they keep the page. */
const KEEPS_PAGE = new Set(['offset', 'metric', 'chart']);

/**
 * A copy of the page URL with `key` set (or removed when `value` is
 * empty). A change of the table's rows (filters, grouping, period, model)
 * restarts paging.
 */
export function withParam(page: URLSearchParams, key: string, value: string): URLSearchParams {
  const next = new URLSearchParams(page);
  if (value === '') next.delete(key);
  else next.set(key, value);
  if (!KEEPS_PAGE.has(key)) next.delete('offset');
  return next;
}

/**
 * Filters from the page URL the report accepts: `model` (attribution model
 * id) when the report has a model dimension; picked dict values as
 * `f.<dim>=1,2` → `<dim>__in=1,2`; string dimensions as
 * `f.<dim>=<value>` → `<dim>=<value>`.
 */
export function reportFilters(schema: ReportSchema, page: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  const model = page.get('model');
  if (model && 'model' in schema.dimensions && /^\d+$/.test(model)) out.set('model', model);
  for (const dim of dictFilterDimensions(schema)) {
    const ids = readPicked(page, dim);
    if (ids.length > 0) out.set(`${dim}__in`, ids.join(','));
  }
  for (const dim of textFilterDimensions(schema)) {
    const v = page.get(`f.${dim}`);
    if (v) out.set(dim, v);
  }
  return out;
}

/** The table's sort and page, from the URL (`order_by`, `offset`, `limit`). */
export interface TablePage {
  /** A metric or the grouped dimension, `-` for descending; null: the report's default order. */
  orderBy: string | null;
  offset: number;
  limit: number;
}

export const TABLE_PAGE_SIZES = [50, 100, 500] as const;
const DEFAULT_TABLE_LIMIT = 100;

/** Reads the table's sort and page, dropping what the report would reject (§10.4). */
export function readTablePage(schema: ReportSchema, group: string | null, page: URLSearchParams): TablePage {
  const o = page.get('order_by');
  const key = o?.replace(/^-/, '') ?? '';
  const orderBy = o && (key in schema.metrics || (key !== '' && key === group)) ? o : null;
  const limit = intParam(page.get('limit'));
  return {
    orderBy,
    offset: intParam(page.get('offset')) ?? 0,
    limit: limit !== null && (TABLE_PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_TABLE_LIMIT,
  };
}

/** The page URL with a new table page; defaults are left out. */
export function writeTablePage(page: URLSearchParams, state: TablePage): URLSearchParams {
  const next = new URLSearchParams(page);
  for (const k of ['order_by', 'offset', 'limit']) next.delete(k);
  if (state.orderBy) next.set('order_by', state.orderBy);
  if (state.limit !== DEFAULT_TABLE_LIMIT) next.set('limit', String(state.limit));
  if (state.offset > 0) next.set('offset', String(state.offset));
  return next;
}

/** `order_by` ↔ the table's sort state (one key). */
export function orderToSorting(orderBy: string | null): SortingState {
  return orderBy ? [{ id: orderBy.replace(/^-/, ''), desc: orderBy.startsWith('-') }] : [];
}

export function sortingToOrder(sorting: SortingState): string | null {
  const first = sorting[0];
  return first ? `${first.desc ? '-' : ''}${first.id}` : null;
}

const FIRST_PAGE: TablePage = { orderBy: null, offset: 0, limit: DEFAULT_TABLE_LIMIT };

export function tableQuery(
  account: string,
  schema: ReportSchema,
  period: PeriodState,
  group: string | null,
  filters?: URLSearchParams,
  page: TablePage = FIRST_PAGE,
): URLSearchParams {
  const p = new URLSearchParams({ account });
  for (const [k, v] of filters ?? []) p.append(k, v);
  if (group) p.set('group_by', group);
  p.set('totals', 'true');
  const date = dateDimension(schema);
  if (date) for (const [k, v] of periodApiParams(period, date)) p.append(k, v);
  if (page.orderBy) p.set('order_by', page.orderBy);
  p.set('limit', String(page.limit));
  if (page.offset > 0) p.set('offset', String(page.offset));
  return p;
}

/**
 * Where the names of a dict dimension's values come from: the related
 * resource when the schema field points at one (`related_schema`, as model
 * resources do, §9), else the report itself grouped by the dimension.
 */
export type DictSource = { kind: 'resource'; resource: string } | { kind: 'report'; report: string };

export function dictSource(report: string, schema: ReportSchema, dim: string): DictSource {
  const related = schema.fields[dim]?.related_schema;
  const resource = related ? resourceFromSchemaPath(related) : null;
  return resource ? { kind: 'resource', resource } : { kind: 'report', report };
}

/** The API query listing a dict dimension's values (the whole data, not just the period). */
export function dictOptionsQuery(account: string, source: DictSource, dim: string): URLSearchParams {
  if (source.kind === 'resource') return new URLSearchParams({ account, limit: String(RELATED_LIMIT), offset: '0' });
  return new URLSearchParams({ account, group_by: dim, selected_fields: dim, order_by: dim, limit: '1000' });
}

/** Options from a related resource's list (value = pk, label = its name-like field). */
export function resourceOptions(list: ListResponse<ResourceObject>): ValueOption[] {
  return list.objects.filter((o) => o.id !== undefined).map((o) => ({ value: String(o.id), label: objectLabel(o) }));
}

/** Options from report rows grouped by `dim` (dict values without an id cannot be filtered on). */
export function reportOptions(res: ReportResponse, dim: string): ValueOption[] {
  return res.objects.flatMap((r) => {
    const v = r[dim];
    return v && typeof v === 'object' && 'id' in v && typeof v.id === 'number' ? [{ value: String(v.id), label: String(v.name) }] : [];
  });
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
  q.delete('offset');
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

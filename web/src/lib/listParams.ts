// URL state of a configuration list page, and its translation into API
// query parameters (§4.3-4.5). The page URL is the source of truth:
//   /a/<token>/config/pattern?q=site&order_by=-priority&limit=50&offset=50&active=false
// `q` is the filter box; other known filter keys pass straight through.

import type { FilteringRule, ResourceSchema } from '../api/types';

export interface ListState {
  orderBy: string[];
  limit: number;
  offset: number;
  q: string;
  filters: Array<[string, string]>;
}

export const PAGE_SIZES = [20, 50, 100] as const;

const PAGE_KEYS = new Set(['order_by', 'limit', 'offset', 'q']);
/** Parameters the API reserves (§4.3); never passed through as filters. */
const RESERVED = new Set(['account', 'format', 'username', 'api_key', '_']);

export function allowsLookup(rule: FilteringRule | undefined, lookup: string): boolean {
  if (rule === undefined) return false;
  if (rule === 1 || rule === 2) return true;
  return rule.includes(lookup);
}

/** The field the filter box searches (`<field>__icontains`), or null if none fits. */
export function searchField(schema: ResourceSchema): string | null {
  const candidates = Object.entries(schema.fields)
    .filter(([name, f]) => name !== 'resource_uri' && f.type === 'string' && allowsLookup(schema.filtering?.[name], 'icontains'))
    .map(([name]) => name);
  for (const preferred of ['name', 'title', 'pattern', 'email']) {
    if (candidates.includes(preferred)) return preferred;
  }
  return candidates[0] ?? null;
}

export function intParam(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

export function isSortable(schema: ResourceSchema, field: string): boolean {
  return schema.ordering?.includes(field) ?? false;
}

/** Reads list state from the page URL, dropping anything the schema would reject. */
export function readListState(params: URLSearchParams, schema: ResourceSchema): ListState {
  const orderBy = params
    .getAll('order_by')
    .flatMap((v) => v.split(','))
    .filter((v) => v !== '' && isSortable(schema, v.replace(/^-/, '')));
  const rawLimit = intParam(params.get('limit'));
  const limit = rawLimit === null || rawLimit < 1 ? schema.default_limit : Math.min(rawLimit, schema.max_limit);
  const offset = intParam(params.get('offset')) ?? 0;
  const q = (params.get('q') ?? '').trim();
  const filters: Array<[string, string]> = [];
  for (const [k, v] of params) {
    if (PAGE_KEYS.has(k) || RESERVED.has(k)) continue;
    const field = k.split('__')[0] ?? '';
    if (schema.filtering?.[field] !== undefined) filters.push([k, v]);
  }
  return { orderBy, limit, offset, q, filters };
}

/** Writes list state to page URL params; defaults are left out. */
export function writeListState(state: ListState, schema: ResourceSchema): URLSearchParams {
  const p = new URLSearchParams();
  if (state.q) p.set('q', state.q);
  for (const [k, v] of state.filters) p.append(k, v);
  for (const o of state.orderBy) p.append('order_by', o);
  if (state.limit !== schema.default_limit) p.set('limit', String(state.limit));
  if (state.offset > 0) p.set('offset', String(state.offset));
  return p;
}

/** The API query for a list page: account, filters, search, order, page. */
export function listApiQuery(state: ListState, schema: ResourceSchema, account: string): URLSearchParams {
  const p = new URLSearchParams();
  p.set('account', account);
  for (const [k, v] of state.filters) p.append(k, v);
  const field = searchField(schema);
  if (state.q && field) p.set(`${field}__icontains`, state.q);
  for (const o of state.orderBy) p.append('order_by', o);
  p.set('limit', String(state.limit));
  p.set('offset', String(state.offset));
  return p;
}

export type SortDirection = 'asc' | 'desc' | null;

/** Direction of the primary sort key if it is `field`. */
export function sortDirection(orderBy: string[], field: string): SortDirection {
  const first = orderBy[0];
  if (first === field) return 'asc';
  if (first === `-${field}`) return 'desc';
  return null;
}

/** Header click: ascending → descending → back to the default order. */
export function toggleSort(orderBy: string[], field: string): string[] {
  switch (sortDirection(orderBy, field)) {
    case null:
      return [field];
    case 'asc':
      return [`-${field}`];
    case 'desc':
      return [];
  }
}

/** A new state on page `offset`, after a change that must restart paging. */
export function withFirstPage(state: ListState, change: Partial<ListState>): ListState {
  return { ...state, ...change, offset: 0 };
}

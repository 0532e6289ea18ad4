// Report page URL state → API queries (§10.2). URL:
//   /a/<token>/reports?report=report-my-data&group_by=channel&metric=revenue&period=last_7_days&compare=previous_period
import type { ApiRoot, ReportSchema } from '../../api/types';
import { isReportResource } from '../../api/paths';
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

export function tableQuery(account: string, schema: ReportSchema, period: PeriodState, group: string | null): URLSearchParams {
  const p = new URLSearchParams({ account });
  if (group) p.set('group_by', group);
  p.set('totals', 'true');
  const date = dateDimension(schema);
  if (date) for (const [k, v] of periodApiParams(period, date)) p.append(k, v);
  p.set('limit', '100');
  return p;
}

export function graphQuery(account: string, schema: ReportSchema, period: PeriodState, metric: string): URLSearchParams | null {
  const date = dateDimension(schema);
  if (!date) return null;
  const p = new URLSearchParams({ account, graph: 'true', graph_group_by: date, graph_group_by_type: `${date}__daily` });
  for (const [k, v] of periodApiParams(period, date)) p.append(k, v);
  p.set('selected_fields', `${date},${metric}`);
  return p;
}

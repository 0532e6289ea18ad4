import { useId, useMemo } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { useApiRoot, useReport, useReportSchema, useResourceList } from '../../api/hooks';
import type { AttributionModel, ReportRow } from '../../api/types';
import { DateRangePicker } from '../../components/DateRangePicker/DateRangePicker';
import { EmptyState } from '../../components/EmptyState/EmptyState';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { MetricTable } from '../../components/MetricTable/MetricTable';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { TimeSeriesChart } from '../../components/TimeSeriesChart/TimeSeriesChart';
import { BreakdownChart } from '../../components/BreakdownChart/BreakdownChart';
import { Pagination } from '../../components/Pagination/Pagination';
import { PathView } from '../../components/PathView/PathView';
import { readPeriod, todayIn, writePeriod } from '../../lib/dateRange';
import { labelize } from '../../lib/format';
import { useAccount } from '../auth/AccountContext';
import { DictFilter } from './DictFilter';
import { reportTitle } from './ReportsLayout';
import {
  breakdownBars,
  chartKind,
  chartMetric,
  csvUrl,
  dateDimension,
  dictFilterDimensions,
  graphQuery,
  groupBy,
  orderToSorting,
  readPicked,
  readTablePage,
  reportFilters,
  reportNames,
  sortingToOrder,
  TABLE_PAGE_SIZES,
  tableQuery,
  textFilterDimensions,
  withParam,
  writePicked,
  writeTablePage,
} from './reportQuery';

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

/**
 * /a/:token/reports/:report — one report of the catalogue. Its state (period,
 * comparison, grouping, filters, model, sort, page) is in the URL; an
 * unknown name shows a not-found state naming it.
 */
export function ReportPage() {
  const { report = '' } = useParams();
  const root = useApiRoot();
  if (root.data && !reportNames(root.data).includes(report)) {
    return (
      <>
        <PageHeader title="Report not found" />
        <EmptyState title={`There is no report “${report}”`}>
          This server has no report called “{report}”. Pick one of the reports in the list; the link may be old or mistyped.
        </EmptyState>
      </>
    );
  }
  // A new report starts with fresh state (no rows of the previous one while it loads).
  return <ReportView key={report} report={report} />;
}

function ReportView({ report }: { report: string }) {
  const { account } = useAccount();
  const [params, setParams] = useSearchParams();
  const ids = useId();
  const schema = useReportSchema(report);
  const today = todayIn(account.time_zone);
  const period = useMemo(() => readPeriod(params, today), [params, today]);
  const group = schema.data ? groupBy(schema.data, params.get('group_by')) : null;
  const metric = schema.data ? chartMetric(schema.data, params.get('metric')) : null;
  const filters = schema.data ? reportFilters(schema.data, params) : undefined;
  const page = schema.data ? readTablePage(schema.data, group, params) : undefined;
  const tableParams = schema.data ? tableQuery(account.token, schema.data, period, group, filters, page) : null;
  const table = useReport(report, tableParams);
  const graph = useReport(report, schema.data && metric ? graphQuery(account.token, schema.data, period, metric, filters) : null);
  const hasModel = Boolean(schema.data && 'model' in schema.data.dimensions);
  const models = useResourceList<AttributionModel>('attribution-model', hasModel ? new URLSearchParams({ account: account.token, limit: '100' }) : null);

  const setParam = (k: string, v: string) => setParams(withParam(params, k, v));

  const s = schema.data;
  const date = s ? dateDimension(s) : null;
  const kind = chartKind(date, group, params.get('chart'));
  const currency = table.data?.meta.currency ?? account.currency;
  const metricDef = s && metric ? s.metrics[metric] : undefined;
  const series = (graph.data?.objects ?? []).map((r: ReportRow) => ({ date: String(r[date ?? 'date'] ?? ''), value: num(r[metric ?? '']) }));
  const compareSeries =
    period.compare !== 'none' && graph.data
      ? graph.data.objects.map((r) => ({ date: '', value: num(r.compare?.[metric ?? '']) }))
      : undefined;

  return (
    <>
      <PageHeader title={reportTitle(report)} description={`${account.name} · times in ${account.time_zone}`} />
      <div className="toolbar" style={{ justifyContent: 'flex-start' }}>
        {s && (
          <div>
            <label htmlFor={`${ids}-group`} style={{ display: 'block', fontWeight: 600 }}>
              Group by
            </label>
            <select id={`${ids}-group`} className="select" value={group ?? ''} onChange={(e) => setParam('group_by', e.target.value)}>
              {Object.entries(s.dimensions).map(([k, d]) => (
                <option key={k} value={k}>
                  {labelize(d.verbose_name)}
                </option>
              ))}
            </select>
          </div>
        )}
        {hasModel && models.data && (
          <div>
            <label htmlFor={`${ids}-model`} style={{ display: 'block', fontWeight: 600 }}>
              Attribution model
            </label>
            <select
              id={`${ids}-model`}
              className="select"
              value={params.get('model') ?? String(table.data?.meta.defaults?.model ?? '')}
              onChange={(e) => setParam('model', e.target.value)}
            >
              {models.data.objects.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          </div>
        )}
        {s &&
          textFilterDimensions(s).map((k) => {
            const send = (v: string) => v.trim() !== (params.get(`f.${k}`) ?? '') && setParam(`f.${k}`, v.trim());
            return (
              <div key={k}>
                <label htmlFor={`${ids}-f-${k}`} style={{ display: 'block', fontWeight: 600 }}>
                  {labelize(s.dimensions[k]?.verbose_name ?? k)} is
                </label>
                <input
                  id={`${ids}-f-${k}`}
                  className="input"
                  defaultValue={params.get(`f.${k}`) ?? ''}
                  placeholder="any"
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') send(e.currentTarget.value);
                  }}
                  onBlur={(e) => send(e.currentTarget.value)}
                />
              </div>
            );
          })}
        {date && <DateRangePicker value={period} today={today} onChange={(p) => setParams(withParam(writePeriod(params, p), 'offset', ''))} />}
      </div>
      {s && dictFilterDimensions(s).length > 0 && (
        <div className="reports-filters" role="group" aria-label="Filters">
          {dictFilterDimensions(s).map((dim) => (
            <DictFilter
              key={dim}
              account={account.token}
              report={report}
              schema={s}
              dimension={dim}
              selected={readPicked(params, dim)}
              onChange={(picked) => setParams(writePicked(params, dim, picked))}
            />
          ))}
        </div>
      )}
      {schema.isPending && <LoadingState label="Loading report…" />}
      {schema.isError && <ErrorState error={schema.error} onRetry={() => void schema.refetch()} />}
      {s && metric && metricDef && (
        <div className="stack">
          {(date || group) && (
            <div>
              {date && group && group !== date && (
                <>
                  <label htmlFor={`${ids}-chart`} className="visually-hidden">
                    Chart
                  </label>
                  <select
                    id={`${ids}-chart`}
                    className="select"
                    style={{ width: 'auto', marginBottom: '0.5rem', marginRight: '0.5rem' }}
                    value={kind}
                    onChange={(e) => setParam('chart', e.target.value)}
                  >
                    <option value="line">Over time</option>
                    <option value="bar">By {labelize(s.dimensions[group]?.verbose_name ?? group)}</option>
                  </select>
                </>
              )}
              <label htmlFor={`${ids}-metric`} className="visually-hidden">
                Chart metric
              </label>
              <select
                id={`${ids}-metric`}
                className="select"
                style={{ width: 'auto', marginBottom: '0.5rem' }}
                value={metric}
                onChange={(e) => setParam('metric', e.target.value)}
              >
                {Object.entries(s.metrics).map(([k, m]) => (
                  <option key={k} value={k}>
                    {labelize(m.verbose_name)}
                  </option>
                ))}
              </select>
              {kind === 'bar' ? (
                table.isPending ? (
                  <LoadingState label="Loading chart data…" />
                ) : table.isError ? null : (
                  <BreakdownChart
                    title={`${labelize(metricDef.verbose_name)} by ${labelize(s.dimensions[group ?? '']?.verbose_name ?? group ?? '')}`}
                    metric={{ label: labelize(metricDef.verbose_name), type: metricDef.type }}
                    bars={breakdownBars(table.data.objects, group ?? '', metric, period.compare !== 'none')}
                    currency={currency}
                  />
                )
              ) : graph.isError ? (
                <ErrorState error={graph.error} onRetry={() => void graph.refetch()} />
              ) : graph.isPending ? (
                <LoadingState label="Loading chart data…" />
              ) : (
                <TimeSeriesChart
                  title={`${labelize(metricDef.verbose_name)} per day`}
                  metric={{ label: labelize(metricDef.verbose_name), type: metricDef.type }}
                  series={series}
                  compare={compareSeries}
                  currency={currency}
                />
              )}
            </div>
          )}
          {group === 'path' && table.data && (
            <PathView
              title={`${labelize(metricDef.verbose_name)} by conversion path`}
              metric={{ label: labelize(metricDef.verbose_name), type: metricDef.type }}
              rows={table.data.objects.map((r) => ({ path: String(r.path ?? ''), value: num(r[metric]) }))}
              currency={currency}
            />
          )}
          {table.isError ? (
            <ErrorState error={table.error} onRetry={() => void table.refetch()} />
          ) : table.isPending ? (
            <LoadingState label="Loading report…" />
          ) : (
            <>
            <p>
              <a className="btn btn-small" href={csvUrl(report, tableParams ?? new URLSearchParams())} download>
                Export CSV
              </a>
            </p>
            <MetricTable
              caption={`${reportTitle(report)} by ${group ?? 'total'}`}
              dimensions={group ? [{ key: group, label: labelize(s.dimensions[group]?.verbose_name ?? group), type: s.dimensions[group]?.type ?? 'string' }] : []}
              metrics={Object.entries(s.metrics).map(([k, m]) => ({ key: k, label: labelize(m.verbose_name), type: m.type, higherIsBetter: m.higher_is_better }))}
              rows={table.data.objects}
              totals={table.data.meta.totals}
              currency={currency}
              sorting={orderToSorting(page?.orderBy ?? null)}
              onSortingChange={(sorting) => page && setParams(writeTablePage(params, { ...page, orderBy: sortingToOrder(sorting), offset: 0 }))}
            />
            {page && (table.data.meta.total_count > page.limit || page.offset > 0) && (
              <Pagination
                offset={page.offset}
                limit={page.limit}
                total={table.data.meta.total_count}
                pageSizes={TABLE_PAGE_SIZES}
                noun="groups"
                onChange={(p) => setParams(writeTablePage(params, { ...page, ...p }))}
              />
            )}
            </>
          )}
        </div>
      )}
    </>
  );
}

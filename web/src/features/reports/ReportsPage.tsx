import { useId, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { useApiRoot, useReport, useReportSchema, useResourceList } from '../../api/hooks';
import type { ReportRow } from '../../api/types';
import { DateRangePicker } from '../../components/DateRangePicker/DateRangePicker';
import { EmptyState } from '../../components/EmptyState/EmptyState';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { MetricTable } from '../../components/MetricTable/MetricTable';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { TimeSeriesChart } from '../../components/TimeSeriesChart/TimeSeriesChart';
import { BreakdownChart } from '../../components/BreakdownChart/BreakdownChart';
import { PathView } from '../../components/PathView/PathView';
import { readPeriod, todayIn, writePeriod } from '../../lib/dateRange';
import { humanize, labelize } from '../../lib/format';
import { useAccount } from '../auth/AccountContext';
import { breakdownBars, chartKind, chartMetric, csvUrl, dateDimension, graphQuery, groupBy, reportFilters, reportNames, tableQuery } from './reportQuery';

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

/** A first reports page: any report resource, a period, a table and a chart. */
export function ReportsPage() {
  const { account } = useAccount();
  const [params, setParams] = useSearchParams();
  const ids = useId();
  const root = useApiRoot();
  const names = root.data ? reportNames(root.data) : [];
  const report = params.get('report') && names.includes(params.get('report') ?? '') ? params.get('report') : (names[0] ?? null);
  const schema = useReportSchema(report ?? undefined);
  const today = todayIn(account.time_zone);
  const period = useMemo(() => readPeriod(params, today), [params, today]);
  const group = schema.data ? groupBy(schema.data, params.get('group_by')) : null;
  const metric = schema.data ? chartMetric(schema.data, params.get('metric')) : null;
  const filters = schema.data ? reportFilters(schema.data, params) : undefined;
  const table = useReport(report ?? undefined, schema.data ? tableQuery(account.token, schema.data, period, group, filters) : null);
  const graph = useReport(report ?? undefined, schema.data && metric ? graphQuery(account.token, schema.data, period, metric, filters) : null);
  const hasModel = Boolean(schema.data && 'model' in schema.data.dimensions);
  const models = useResourceList('attribution-model', hasModel ? new URLSearchParams({ account: account.token, limit: '100' }) : null);

  const setParam = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v === '') next.delete(k);
    else next.set(k, v);
    setParams(next);
  };

  if (root.isPending) return <LoadingState label="Loading reports…" />;
  if (root.isError) return <ErrorState error={root.error} onRetry={() => void root.refetch()} />;
  if (!report) {
    return (
      <>
        <PageHeader title="Reports" />
        <EmptyState title="No reports yet">
          This server publishes no report resources yet. Reports appear here once the aggregate tables are built.
        </EmptyState>
      </>
    );
  }
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
      <PageHeader title="Reports" description={`${account.name} · times in ${account.time_zone}`} />
      <div className="toolbar" style={{ justifyContent: 'flex-start' }}>
        <div>
          <label htmlFor={`${ids}-report`} style={{ display: 'block', fontWeight: 600 }}>
            Report
          </label>
          <select id={`${ids}-report`} className="select" value={report} onChange={(e) => setParam('report', e.target.value)}>
            {names.map((n) => (
              <option key={n} value={n}>
                {humanize(n.replace(/^report-/, ''))}
              </option>
            ))}
          </select>
        </div>
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
                <option key={String(m.id)} value={String(m.id)}>
                  {String(m.name)}
                </option>
              ))}
            </select>
          </div>
        )}
        {s &&
          Object.entries(s.dimensions)
            .filter(([k, d]) => d.type === 'string' && s.filtering?.[k] !== undefined)
            .map(([k, d]) => (
              <div key={k}>
                <label htmlFor={`${ids}-f-${k}`} style={{ display: 'block', fontWeight: 600 }}>
                  {labelize(d.verbose_name)} is
                </label>
                <input
                  id={`${ids}-f-${k}`}
                  className="input"
                  defaultValue={params.get(`f.${k}`) ?? ''}
                  placeholder="any"
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') setParam(`f.${k}`, e.currentTarget.value.trim());
                  }}
                  onBlur={(e) => setParam(`f.${k}`, e.currentTarget.value.trim())}
                />
              </div>
            ))}
        {date && <DateRangePicker value={period} today={today} onChange={(p) => setParams(writePeriod(params, p))} />}
      </div>
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
              <a className="btn btn-small" href={csvUrl(report, tableQuery(account.token, s, period, group, filters))} download>
                Export CSV
              </a>
            </p>
            <MetricTable
              caption={`${humanize(report.replace(/^report-/, ''))} by ${group ?? 'total'}`}
              dimensions={group ? [{ key: group, label: labelize(s.dimensions[group]?.verbose_name ?? group), type: s.dimensions[group]?.type ?? 'string' }] : []}
              metrics={Object.entries(s.metrics).map(([k, m]) => ({ key: k, label: labelize(m.verbose_name), type: m.type, higherIsBetter: m.higher_is_better }))}
              rows={table.data.objects}
              totals={table.data.meta.totals}
              currency={currency}
            />
            </>
          )}
        </div>
      )}
    </>
  );
}

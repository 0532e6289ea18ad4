import { useMemo } from 'react';
import type { MetricType } from '../../api/types';
import { formatMetric } from '../../lib/format';
import { baseOption, ChartFrame } from '../ChartFrame/ChartFrame';

export interface SeriesPoint {
  date: string;
  value: number | null;
}

export interface TimeSeriesChartProps {
  /** Accessible title, shown above the chart. */
  title: string;
  metric: { label: string; type: MetricType };
  series: SeriesPoint[];
  /** The comparison period, paired with `series` by position (§10.5). */
  compare?: SeriesPoint[] | undefined;
  currency?: string | undefined;
  locale?: string | undefined;
  height?: number;
}

/** A sentence for screen readers: the range, the total and the peak. */
export function describeSeries(p: Pick<TimeSeriesChartProps, 'metric' | 'series' | 'currency' | 'locale'>): string {
  const pts = p.series.filter((x): x is { date: string; value: number } => x.value !== null);
  if (pts.length === 0) return `${p.metric.label}: no data.`;
  const first = p.series[0]?.date;
  const last = p.series[p.series.length - 1]?.date;
  const peak = pts.reduce((a, b) => (b.value > a.value ? b : a));
  const fmt = (v: number) => formatMetric(v, p.metric.type, { currency: p.currency, locale: p.locale });
  return `${p.metric.label} from ${first} to ${last}; highest ${fmt(peak.value)} on ${peak.date}.`;
}

/**
 * A line chart over time (ECharts, loaded on first use). A comparison
 * period is drawn dashed. The chart is an image with a text summary for
 * assistive technology.
 */
export function TimeSeriesChart({ title, metric, series, compare, currency, locale, height = 280 }: TimeSeriesChartProps) {
  const option = useMemo(() => {
    const fmt = (v: number) => formatMetric(v, metric.type, { currency, locale, compact: true });
    const full = (v: number | null) => formatMetric(v, metric.type, { currency, locale });
    return {
      ...baseOption(metric.label, compare !== undefined),
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: {
        trigger: 'axis',
        formatter: (items: Array<{ dataIndex: number; seriesIndex: number; marker: string }>) =>
          items
            .map((it) => {
              const pt = it.seriesIndex === 0 ? series[it.dataIndex] : compare?.[it.dataIndex];
              return `${it.marker}${pt?.date ?? ''}: ${full(pt?.value ?? null)}`;
            })
            .join('<br/>'),
      },
      xAxis: { type: 'category', boundaryGap: false, data: series.map((p) => p.date) },
      yAxis: { type: 'value', axisLabel: { formatter: fmt } },
      series: [
        { name: metric.label, type: 'line', showSymbol: series.length < 40, data: series.map((p) => p.value), lineStyle: { width: 2 } },
        ...(compare
          ? [
              {
                name: `${metric.label} (comparison)`,
                type: 'line',
                showSymbol: false,
                data: series.map((_, i) => compare[i]?.value ?? null),
                lineStyle: { type: 'dashed', width: 2, opacity: 0.7 },
              },
            ]
          : []),
      ],
    };
  }, [series, compare, metric, currency, locale]);

  return <ChartFrame title={title} option={option} height={height} description={describeSeries({ metric, series, currency, locale })} />;
}

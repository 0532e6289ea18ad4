import { useMemo } from 'react';
import type { MetricType } from '../../api/types';
import { formatMetric } from '../../lib/format';
import { baseOption, ChartFrame } from '../ChartFrame/ChartFrame';

export interface BreakdownBar {
  label: string;
  value: number | null;
  /** The same group in the comparison period. */
  compare?: number | null | undefined;
}

export interface BreakdownChartProps {
  title: string;
  metric: { label: string; type: MetricType };
  bars: BreakdownBar[];
  currency?: string | undefined;
  locale?: string | undefined;
  /** Show at most this many bars (largest first); default 12. */
  max?: number;
}

/** The bars drawn: largest values first, at most `max`. */
export function topBars(bars: BreakdownBar[], max: number): BreakdownBar[] {
  return [...bars].sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity)).slice(0, max);
}

/** A sentence for screen readers: the largest group and how many there are. */
export function describeBars(p: Pick<BreakdownChartProps, 'metric' | 'bars' | 'currency' | 'locale'>): string {
  const top = topBars(p.bars, 1)[0];
  if (!top || top.value === null) return `${p.metric.label}: no data.`;
  const v = formatMetric(top.value, p.metric.type, { currency: p.currency, locale: p.locale });
  return `${p.metric.label} in ${p.bars.length} group${p.bars.length === 1 ? '' : 's'}; largest ${top.label} with ${v}.`;
}

/**
 * A horizontal bar chart of one metric by a dimension (ECharts, loaded on
 * first use); the comparison period is a second, paler bar per group.
 */
export function BreakdownChart({ title, metric, bars, currency, locale, max = 12 }: BreakdownChartProps) {
  const shown = useMemo(() => topBars(bars, max).reverse(), [bars, max]);
  const hasCompare = shown.some((b) => b.compare !== undefined);
  const height = Math.max(160, shown.length * (hasCompare ? 36 : 26) + 48);

  const option = useMemo(() => {
    const fmt = (v: number) => formatMetric(v, metric.type, { currency, locale, compact: true });
    return {
      ...baseOption(metric.label, hasCompare),
      grid: { left: 8, right: 24, top: hasCompare ? 32 : 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number | null) => formatMetric(v, metric.type, { currency, locale }) },
      xAxis: { type: 'value', axisLabel: { formatter: fmt } },
      yAxis: { type: 'category', data: shown.map((b) => b.label), axisLabel: { width: 140, overflow: 'truncate' } },
      series: [
        { name: metric.label, type: 'bar', data: shown.map((b) => b.value) },
        ...(hasCompare ? [{ name: `${metric.label} (comparison)`, type: 'bar', data: shown.map((b) => b.compare ?? null), itemStyle: { opacity: 0.5 } }] : []),
      ],
    };
  }, [shown, hasCompare, metric, currency, locale]);

  return <ChartFrame title={title} option={option} height={height} description={describeBars({ metric, bars, currency, locale })} />;
}

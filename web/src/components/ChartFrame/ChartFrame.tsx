import { useEffect, useId, useRef, useState } from 'react';
import { ErrorState } from '../ErrorState/ErrorState';
import { LoadingState } from '../LoadingState/LoadingState';

export interface ChartFrameProps {
  /** Accessible title, shown above the chart. */
  title: string;
  /** A sentence for assistive technology: what the chart shows. */
  description: string;
  /** An ECharts option; the chart is redrawn (not merged) when it changes. */
  option: object;
  height: number;
}

type Status = 'loading' | 'ready' | 'failed';

interface Chart {
  setOption: (o: unknown, notMerge?: boolean) => void;
  resize: () => void;
  dispose: () => void;
}

/** The series colours: the period, then its comparison (paler). */
export const CHART_COLORS = ['#2f4fd8', '#8a94a6'];

/**
 * What every chart's option starts with: no animation, ECharts' aria
 * labels, the colours, and a legend when a comparison is drawn.
 */
export function baseOption(metricLabel: string, withCompare: boolean) {
  return {
    animation: false,
    aria: { enabled: true },
    legend: withCompare ? { top: 0, left: 0, data: [metricLabel, `${metricLabel} (comparison)`] } : undefined,
    color: CHART_COLORS,
  };
}

/**
 * The frame shared by the charts: a figure with its title, ECharts loaded on
 * first use (its own chunk) and drawn as SVG, resized with its box, a
 * loading state, a retry when the chunk fails to load, and the chart as an
 * image described by `description`.
 */
export function ChartFrame({ title, description, option, height }: ChartFrameProps) {
  const el = useRef<HTMLDivElement>(null);
  const chartRef = useRef<Chart | null>(null);
  const [status, setStatus] = useState<Status>('loading');
  const [attempt, setAttempt] = useState(0);
  const titleId = useId();

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | null = null;
    setStatus('loading');
    import('./echarts')
      .then(({ echarts }) => {
        if (disposed || !el.current) return;
        const chart = echarts.init(el.current, undefined, { renderer: 'svg' });
        chartRef.current = chart;
        observer = new ResizeObserver(() => chart.resize());
        observer.observe(el.current);
        setStatus('ready');
      })
      .catch(() => {
        if (!disposed) setStatus('failed');
      });
    return () => {
      disposed = true;
      observer?.disconnect();
      chartRef.current?.dispose();
      chartRef.current = null;
    };
  }, [attempt]);

  useEffect(() => {
    if (status !== 'ready') return;
    chartRef.current?.setOption(option, true);
    // The box may have changed height with the data (bar charts grow with their groups).
    chartRef.current?.resize();
  }, [status, option]);

  return (
    <figure className="card" style={{ margin: 0 }}>
      <figcaption id={titleId} style={{ fontWeight: 600, marginBottom: '0.5rem' }}>
        {title}
      </figcaption>
      {status === 'failed' && <ErrorState error={new Error('The chart could not be loaded.')} onRetry={() => setAttempt((n) => n + 1)} />}
      <div style={{ position: 'relative', height, display: status === 'failed' ? 'none' : 'block' }}>
        <div ref={el} role="img" aria-labelledby={titleId} aria-describedby={`${titleId}-desc`} style={{ height: '100%', width: '100%' }} />
        {status === 'loading' && (
          <div style={{ position: 'absolute', inset: 0 }}>
            <LoadingState label="Loading chart…" />
          </div>
        )}
      </div>
      <p id={`${titleId}-desc`} className="visually-hidden">
        {description}
      </p>
    </figure>
  );
}

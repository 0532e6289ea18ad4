import type { MetricType } from '../../api/types';
import { formatMetric } from '../../lib/format';
import './PathView.css';

/** The separator the pipeline writes between a path's channels (agg_path_daily). */
export const PATH_SEPARATOR = ' > ';

export interface PathRow {
  path: string;
  value: number | null;
}

export interface PathViewProps {
  title: string;
  metric: { label: string; type: MetricType };
  rows: PathRow[];
  currency?: string | undefined;
  locale?: string | undefined;
  /** At most this many paths, largest first (default 10). */
  max?: number;
}

/** A path's steps; empty parts dropped. */
export function pathSteps(path: string): string[] {
  return path
    .split(PATH_SEPARATOR)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Conversion paths as ordered steps, with the metric and its share of the total. */
export function PathView({ title, metric, rows, currency, locale, max = 10 }: PathViewProps) {
  const total = rows.reduce((a, r) => a + (r.value ?? 0), 0);
  const top = [...rows].sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity)).slice(0, max);
  return (
    <section className="card path-view" aria-label={title}>
      <h2 className="path-view-title">{title}</h2>
      {top.length === 0 ? (
        <p className="muted">No conversion paths in this period.</p>
      ) : (
        <ol className="path-view-list">
          {top.map((r) => {
            const steps = pathSteps(r.path);
            const share = total > 0 && r.value !== null ? r.value / total : null;
            return (
              <li key={r.path} className="path-view-row">
                <ol className="path-steps" aria-label={`${steps.length} step${steps.length === 1 ? '' : 's'}: ${steps.join(', then ')}`}>
                  {steps.map((s, i) => (
                    <li key={`${i}-${s}`} className="path-step">
                      {s}
                    </li>
                  ))}
                </ol>
                <span className="path-value">
                  {formatMetric(r.value, metric.type, { currency, locale })}
                  {share !== null && <span className="muted"> · {formatMetric(share, 'percentage', { locale })}</span>}
                </span>
                <span className="path-bar" aria-hidden="true" style={{ width: `${Math.round((share ?? 0) * 100)}%` }} />
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

import type { MetricType } from '../api/types';

export interface FormatOptions {
  /** ISO 4217 code for money (the account's currency). */
  currency?: string | undefined;
  locale?: string | undefined;
  /** Short forms for charts and narrow cells: 12.3K, £1.2M. */
  compact?: boolean;
}

const cache = new Map<string, Intl.NumberFormat>();

function nf(locale: string | undefined, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, opts);
    cache.set(key, f);
  }
  return f;
}

/** Seconds as `m:ss` under an hour, `h:mm:ss` from an hour on. */
export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const total = Math.round(Math.abs(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  if (h > 0) return `${sign}${h}:${String(m).padStart(2, '0')}:${ss}`;
  return `${sign}${m}:${ss}`;
}

export const EMPTY_VALUE = '—';

/**
 * Formats a report value by its metric type (§10.6): integers grouped,
 * money in the account's currency, percentages from fractions
 * (0.0312 → 3.12%), durations as clock time. null → an em dash.
 */
export function formatMetric(value: number | null | undefined, type: MetricType, opts: FormatOptions = {}): string {
  if (value === null || value === undefined || Number.isNaN(value)) return EMPTY_VALUE;
  const { locale, compact = false } = opts;
  const notation: Intl.NumberFormatOptions = compact ? { notation: 'compact', maximumFractionDigits: 1 } : {};
  switch (type) {
    case 'integer':
      return nf(locale, { maximumFractionDigits: 0, ...notation }).format(value);
    case 'float':
      return nf(locale, { maximumFractionDigits: 2, ...notation }).format(value);
    case 'money':
      if (!opts.currency) return nf(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2, ...notation }).format(value);
      return nf(locale, {
        style: 'currency',
        currency: opts.currency,
        ...(compact ? notation : { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
      }).format(value);
    case 'percentage':
      return nf(locale, { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
    case 'duration_seconds':
      return formatDuration(value);
    default:
      return String(value);
  }
}

/** A relative change (0.375 → "+37.5%"); null when there is nothing to compare. */
export function formatChange(change: number | null | undefined, locale?: string): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return EMPTY_VALUE;
  const s = nf(locale, { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(change);
  return s;
}

/** Whether a change is good news, given whether higher is better. */
export function changeTone(change: number | null | undefined, higherIsBetter: boolean): 'good' | 'bad' | 'neutral' {
  if (change === null || change === undefined || change === 0 || !Number.isFinite(change)) return 'neutral';
  return change > 0 === higherIsBetter ? 'good' : 'bad';
}

/** "pattern" → "Pattern", "command-run" → "Command run", "match_on" → "Match on". */
const ACRONYMS: Record<string, string> = { api: 'API', id: 'ID', url: 'URL', utm: 'UTM', seo: 'SEO', ppc: 'PPC' };

export function humanize(name: string): string {
  const words = name.replace(/[-_]+/g, ' ').trim().split(/\s+/);
  const s = words.map((w) => ACRONYMS[w.toLowerCase()] ?? w).join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Capitalises the first letter of a verbose name ("priority" → "Priority"). */
export function labelize(verbose: string): string {
  return verbose.charAt(0).toUpperCase() + verbose.slice(1);
}

/** A datetime from the API, shown as written in the account's zone: "2024-07-01 13:00". */
export function formatApiDateTime(value: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return m ? `${m[1]} ${m[2]}` : value;
}

/** A resource name inside a sentence: "api-key" → "API key", "Command run" → "command run". */
export function noun(name: string): string {
  return humanize(name)
    .split(' ')
    .map((w) => (w.length > 1 && w === w.toUpperCase() ? w : w.toLowerCase()))
    .join(' ');
}

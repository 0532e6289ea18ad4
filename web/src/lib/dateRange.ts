// Report periods: presets, custom ranges and comparison periods, all as
// calendar dates (YYYY-MM-DD) in the account's time zone. Pure functions:
// "today" is passed in, so tests and stories are stable.

export type PresetId = 'last_7_days' | 'last_28_days' | 'last_90_days' | 'this_month' | 'last_month';
export type CompareMode = 'none' | 'previous_period' | 'previous_year';

export interface DateRange {
  from: string;
  to: string;
}

export interface PeriodState {
  preset: PresetId | 'custom';
  range: DateRange;
  compare: CompareMode;
}

export const PRESETS: ReadonlyArray<{ id: PresetId; label: string }> = [
  { id: 'last_7_days', label: 'Last 7 days' },
  { id: 'last_28_days', label: 'Last 28 days' },
  { id: 'last_90_days', label: 'Last 90 days' },
  { id: 'this_month', label: 'This month' },
  { id: 'last_month', label: 'Last month' },
];

export const COMPARE_MODES: ReadonlyArray<{ id: CompareMode; label: string }> = [
  { id: 'none', label: 'No comparison' },
  { id: 'previous_period', label: 'Previous period' },
  { id: 'previous_year', label: 'Same period last year' },
];

export const DEFAULT_PRESET: PresetId = 'last_28_days';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses YYYY-MM-DD into a UTC date, or null for anything invalid. */
export function parseDate(s: string | null | undefined): Date | null {
  if (!s) return null;
  const m = ISO_DATE.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return date;
}

export function toISODate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function addDays(iso: string, days: number): string {
  const d = parseDate(iso);
  if (!d) throw new Error(`bad date ${iso}`);
  d.setUTCDate(d.getUTCDate() + days);
  return toISODate(d);
}

/** Inclusive number of days in a range. */
export function rangeLength(r: DateRange): number {
  const a = parseDate(r.from);
  const b = parseDate(r.to);
  if (!a || !b) return 0;
  return Math.round((b.getTime() - a.getTime()) / 86_400_000) + 1;
}

/** Today's date in an IANA time zone. */
export function todayIn(timeZone: string | undefined, now: Date = new Date()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return toISODate(now);
  }
}

/**
 * The range of a preset. "Last N days" ends yesterday: reports are built
 * nightly, so today is never complete. "This month" runs to today.
 */
export function presetRange(preset: PresetId, today: string): DateRange {
  const yesterday = addDays(today, -1);
  switch (preset) {
    case 'last_7_days':
      return { from: addDays(yesterday, -6), to: yesterday };
    case 'last_28_days':
      return { from: addDays(yesterday, -27), to: yesterday };
    case 'last_90_days':
      return { from: addDays(yesterday, -89), to: yesterday };
    case 'this_month':
      return { from: `${today.slice(0, 7)}-01`, to: today };
    case 'last_month': {
      const firstOfThis = `${today.slice(0, 7)}-01`;
      const lastOfPrev = addDays(firstOfThis, -1);
      return { from: `${lastOfPrev.slice(0, 7)}-01`, to: lastOfPrev };
    }
  }
}

/** The same date a year earlier; 29 February becomes 28 February (§10.5). */
export function minusYear(iso: string): string {
  const y = Number(iso.slice(0, 4)) - 1;
  const md = iso.slice(5);
  const candidate = `${String(y).padStart(4, '0')}-${md}`;
  return parseDate(candidate) ? candidate : `${String(y).padStart(4, '0')}-02-28`;
}

/** The comparison range the API will use (§10.5), or null for none. */
export function compareRange(range: DateRange, mode: CompareMode): DateRange | null {
  switch (mode) {
    case 'none':
      return null;
    case 'previous_period': {
      const n = rangeLength(range);
      const to = addDays(range.from, -1);
      return { from: addDays(to, -(n - 1)), to };
    }
    case 'previous_year':
      return { from: minusYear(range.from), to: minusYear(range.to) };
  }
}

function isPreset(s: string | null): s is PresetId {
  return PRESETS.some((p) => p.id === s);
}

function isCompare(s: string | null): s is CompareMode {
  return COMPARE_MODES.some((c) => c.id === s);
}

/**
 * Reads the period from URL search params: `period=<preset>` or
 * `from=…&to=…`, plus `compare=`. Anything invalid falls back to defaults,
 * so a hand-edited URL never breaks the page.
 */
export function readPeriod(params: URLSearchParams, today: string): PeriodState {
  const compareParam = params.get('compare');
  const compare: CompareMode = isCompare(compareParam) ? compareParam : 'none';
  const from = params.get('from');
  const to = params.get('to');
  const a = parseDate(from);
  const b = parseDate(to);
  if (from && to && a && b && a <= b) {
    return { preset: 'custom', range: { from, to }, compare };
  }
  const p = params.get('period');
  const preset = isPreset(p) ? p : DEFAULT_PRESET;
  return { preset, range: presetRange(preset, today), compare };
}

/** Writes the period into (a copy of) URL search params. Defaults are omitted. */
export function writePeriod(params: URLSearchParams, state: Pick<PeriodState, 'preset' | 'range' | 'compare'>): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete('period');
  next.delete('from');
  next.delete('to');
  next.delete('compare');
  if (state.preset === 'custom') {
    next.set('from', state.range.from);
    next.set('to', state.range.to);
  } else if (state.preset !== DEFAULT_PRESET) {
    next.set('period', state.preset);
  }
  if (state.compare !== 'none') next.set('compare', state.compare);
  return next;
}

/** Report API parameters for a period on a date dimension (§10.2, §10.5). */
export function periodApiParams(state: PeriodState, dateDimension = 'date'): Array<[string, string]> {
  const out: Array<[string, string]> = [
    [`${dateDimension}__gte`, state.range.from],
    [`${dateDimension}__lte`, state.range.to],
  ];
  if (state.compare !== 'none') out.push(['compare', state.compare]);
  return out;
}

/** "1 Jun 2024 – 28 Jun 2024" (or shorter when the years match). */
export function formatRange(r: DateRange, locale?: string): string {
  const a = parseDate(r.from);
  const b = parseDate(r.to);
  if (!a || !b) return `${r.from} – ${r.to}`;
  const sameYear = a.getUTCFullYear() === b.getUTCFullYear();
  const left = new Intl.DateTimeFormat(locale, {
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
    timeZone: 'UTC',
  }).format(a);
  const right = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(b);
  return r.from === r.to ? right : `${left} – ${right}`;
}

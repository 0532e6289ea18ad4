// @vitest-environment node
import { describe, expect, it } from 'vitest';
import {
  compareRange,
  formatRange,
  minusYear,
  parseDate,
  periodApiParams,
  presetRange,
  rangeLength,
  readPeriod,
  todayIn,
  writePeriod,
} from './dateRange';

describe('presetRange', () => {
  const today = '2024-03-15';
  it.each([
    ['last_7_days', '2024-03-08', '2024-03-14'],
    ['last_28_days', '2024-02-16', '2024-03-14'],
    ['last_90_days', '2023-12-16', '2024-03-14'],
    ['this_month', '2024-03-01', '2024-03-15'],
    ['last_month', '2024-02-01', '2024-02-29'],
  ] as const)('%s', (preset, from, to) => {
    const r = presetRange(preset, today);
    expect(r).toEqual({ from, to });
  });
  it('last month across a year boundary', () => {
    expect(presetRange('last_month', '2024-01-10')).toEqual({ from: '2023-12-01', to: '2023-12-31' });
  });
  it('last 7 days has 7 days', () => {
    expect(rangeLength(presetRange('last_7_days', today))).toBe(7);
  });
});

describe('compareRange', () => {
  it('previous period has the same length and ends the day before', () => {
    expect(compareRange({ from: '2023-01-03', to: '2023-01-04' }, 'previous_period')).toEqual({
      from: '2023-01-01',
      to: '2023-01-02',
    });
  });
  it('previous year maps 29 February to 28 February', () => {
    expect(compareRange({ from: '2024-02-01', to: '2024-02-29' }, 'previous_year')).toEqual({
      from: '2023-02-01',
      to: '2023-02-28',
    });
    expect(minusYear('2024-12-31')).toBe('2023-12-31');
  });
  it('none is null', () => {
    expect(compareRange({ from: '2024-01-01', to: '2024-01-02' }, 'none')).toBeNull();
  });
});

describe('URL state', () => {
  const today = '2024-03-15';
  it('defaults to the last 28 days without comparison', () => {
    const s = readPeriod(new URLSearchParams(''), today);
    expect(s).toEqual({ preset: 'last_28_days', range: { from: '2024-02-16', to: '2024-03-14' }, compare: 'none' });
  });
  it('reads a preset and a comparison', () => {
    const s = readPeriod(new URLSearchParams('period=this_month&compare=previous_year'), today);
    expect(s.preset).toBe('this_month');
    expect(s.compare).toBe('previous_year');
  });
  it('reads a custom range, and a custom range wins over a preset', () => {
    const s = readPeriod(new URLSearchParams('period=last_7_days&from=2024-01-01&to=2024-01-31'), today);
    expect(s).toEqual({ preset: 'custom', range: { from: '2024-01-01', to: '2024-01-31' }, compare: 'none' });
  });
  it.each(['from=2024-02-30&to=2024-03-01', 'from=2024-03-02&to=2024-03-01', 'from=x&to=y', 'period=bogus', 'compare=bogus'])(
    'ignores invalid input: %s',
    (qs) => {
      const s = readPeriod(new URLSearchParams(qs), today);
      expect(s.preset).toBe('last_28_days');
      expect(s.compare).toBe('none');
    },
  );
  it('round-trips and keeps unrelated params', () => {
    const start = new URLSearchParams('group_by=channel&period=last_7_days');
    const s = readPeriod(start, today);
    const written = writePeriod(start, { ...s, compare: 'previous_period' });
    expect(written.toString()).toBe('group_by=channel&period=last_7_days&compare=previous_period');
    expect(readPeriod(written, today)).toEqual({ ...s, compare: 'previous_period' });
  });
  it('omits the default preset', () => {
    const s = readPeriod(new URLSearchParams(''), today);
    expect(writePeriod(new URLSearchParams(''), s).toString()).toBe('');
    const custom = writePeriod(new URLSearchParams(''), { preset: 'custom', range: { from: '2024-01-01', to: '2024-01-02' }, compare: 'none' });
    expect(custom.toString()).toBe('from=2024-01-01&to=2024-01-02');
  });
  it('makes API parameters', () => {
    expect(
      periodApiParams({ preset: 'custom', range: { from: '2023-01-03', to: '2023-01-04' }, compare: 'previous_period' }),
    ).toEqual([
      ['date__gte', '2023-01-03'],
      ['date__lte', '2023-01-04'],
      ['compare', 'previous_period'],
    ]);
  });
});

describe('dates', () => {
  it('parses strictly', () => {
    expect(parseDate('2024-02-29')).not.toBeNull();
    expect(parseDate('2023-02-29')).toBeNull();
    expect(parseDate('2023-1-1')).toBeNull();
  });
  it('knows today in a time zone', () => {
    const now = new Date('2024-06-30T23:30:00Z');
    expect(todayIn('Europe/London', now)).toBe('2024-07-01');
    expect(todayIn('America/New_York', now)).toBe('2024-06-30');
  });
  it('formats ranges', () => {
    expect(formatRange({ from: '2024-06-01', to: '2024-06-28' }, 'en-GB')).toBe('1 Jun – 28 Jun 2024');
    expect(formatRange({ from: '2023-12-01', to: '2024-01-31' }, 'en-GB')).toBe('1 Dec 2023 – 31 Jan 2024');
  });
});

// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { changeTone, formatApiDateTime, formatChange, formatDuration, formatMetric, humanize } from './format';

describe('formatMetric', () => {
  const cases: Array<[string, number | null, Parameters<typeof formatMetric>[1], Parameters<typeof formatMetric>[2], string]> = [
    ['integer groups thousands', 1234567, 'integer', { locale: 'en-GB' }, '1,234,567'],
    ['integer rounds', 12.6, 'integer', { locale: 'en-GB' }, '13'],
    ['float keeps two decimals at most', 3.14159, 'float', { locale: 'en-GB' }, '3.14'],
    ['money in pounds', 1234.5, 'money', { locale: 'en-GB', currency: 'GBP' }, '£1,234.50'],
    ['money in euros, German locale', 1234.5, 'money', { locale: 'de-DE', currency: 'EUR' }, '1.234,50\u00a0€'],
    ['money in US dollars, British locale', 265, 'money', { locale: 'en-GB', currency: 'USD' }, 'US$265.00'],
    ['money without currency', 16.5, 'money', { locale: 'en-GB' }, '16.50'],
    ['percentage from fraction', 0.0312, 'percentage', { locale: 'en-GB' }, '3.12%'],
    ['percentage over 100%', 2, 'percentage', { locale: 'en-GB' }, '200.00%'],
    ['duration under an hour', 65, 'duration_seconds', {}, '1:05'],
    ['duration over an hour', 3723.4, 'duration_seconds', {}, '1:02:03'],
    ['null', null, 'money', { currency: 'GBP' }, '—'],
    ['compact integer', 12345, 'integer', { locale: 'en-US', compact: true }, '12.3K'],
  ];
  it.each(cases)('%s', (_name, value, type, opts, want) => {
    expect(formatMetric(value, type, opts)).toBe(want);
  });
});

describe('formatDuration', () => {
  it('handles zero and negatives', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(-61)).toBe('-1:01');
  });
});

describe('formatChange', () => {
  it('signs changes', () => {
    expect(formatChange(0.375, 'en-GB')).toBe('+37.5%');
    expect(formatChange(-0.485714, 'en-GB')).toBe('-48.6%');
    expect(formatChange(0, 'en-GB')).toBe('0%');
    expect(formatChange(null)).toBe('—');
  });
});

describe('changeTone', () => {
  it('depends on higher_is_better', () => {
    expect(changeTone(0.1, true)).toBe('good');
    expect(changeTone(0.1, false)).toBe('bad');
    expect(changeTone(-0.1, false)).toBe('good');
    expect(changeTone(0, true)).toBe('neutral');
    expect(changeTone(null, true)).toBe('neutral');
  });
});

describe('humanize and dates', () => {
  it('turns names into labels', () => {
    expect(humanize('command-run')).toBe('Command run');
    expect(humanize('match_on')).toBe('Match on');
    expect(humanize('api-key')).toBe('API key');
    expect(humanize('report-seo-keywords')).toBe('Report SEO keywords');
  });
  it('keeps the wall time of an API datetime', () => {
    expect(formatApiDateTime('2024-07-01T13:00:00+01:00')).toBe('2024-07-01 13:00');
    expect(formatApiDateTime('bad')).toBe('bad');
  });
});

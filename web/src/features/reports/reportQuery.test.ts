// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { apiRoot, reportSchema } from '../../mocks/fixtures';
import { breakdownBars, chartKind, chartMetric, csvUrl, dateDimension, graphQuery, groupBy, reportFilters, reportNames, tableQuery } from './reportQuery';

const period = { preset: 'custom' as const, range: { from: '2023-01-03', to: '2023-01-04' }, compare: 'previous_period' as const };

describe('report URL state', () => {
  it('finds reports, the date dimension, the grouping and the metric', () => {
    expect(reportNames(apiRoot)).toEqual(['report-my-data']);
    expect(dateDimension(reportSchema)).toBe('date');
    expect(groupBy(reportSchema, null)).toBe('channel');
    expect(groupBy(reportSchema, 'date')).toBe('date');
    expect(groupBy(reportSchema, 'bogus')).toBe('channel');
    expect(chartMetric(reportSchema, 'revenue')).toBe('revenue');
    expect(chartMetric(reportSchema, 'nope')).toBe('visits');
  });
  it('builds the table query', () => {
    expect(tableQuery('c-a-demo-gb', reportSchema, period, 'channel').toString()).toBe(
      'account=c-a-demo-gb&group_by=channel&totals=true&date__gte=2023-01-03&date__lte=2023-01-04&compare=previous_period&limit=100',
    );
  });
  it('builds the graph query', () => {
    expect(graphQuery('c-a-demo-gb', reportSchema, period, 'visits')?.toString()).toBe(
      'account=c-a-demo-gb&graph=true&graph_group_by=date&graph_group_by_type=date__daily&date__gte=2023-01-03&date__lte=2023-01-04&compare=previous_period&selected_fields=date%2Cvisits',
    );
  });
});

describe('csvUrl', () => {
  it('asks for every row as CSV, without totals', () => {
    expect(csvUrl('report-channel-performance', new URLSearchParams('account=t&group_by=channel&totals=true&limit=100&date__gte=2024-03-01'))).toBe(
      '/api/v1/report-channel-performance/?account=t&group_by=channel&date__gte=2024-03-01&format=csv',
    );
  });
});

describe('reportFilters', () => {
  const schema = {
    ...reportSchema,
    dimensions: {
      ...reportSchema.dimensions,
      model: { help_text: '', timeframes: [], type: 'dict' as const, verbose_name: 'Attribution model' },
      device: { help_text: '', timeframes: [], type: 'string' as const, verbose_name: 'Device' },
    },
    filtering: { ...reportSchema.filtering, model: 1 as const, device: 1 as const },
  };
  it.each([
    ['model=3', 'model=3'],
    ['model=abc', ''],
    ['f.device=mobile&f.unknown=x&f.model=2', 'device=mobile'],
    ['f.device=', ''],
  ])('%s → %s', (page, api) => {
    expect(reportFilters(schema, new URLSearchParams(page)).toString()).toBe(api);
  });
  it('ignores model on reports without a model dimension', () => {
    expect(reportFilters(reportSchema, new URLSearchParams('model=3')).toString()).toBe('');
  });
});

describe('chartKind', () => {
  it.each([
    ['date', 'channel', null, 'line'],
    ['date', 'channel', 'bar', 'bar'],
    ['date', 'date', 'bar', 'line'],
    [null, 'channel', null, 'bar'],
  ] as const)('date=%s group=%s chart=%s → %s', (date, group, req, want) => {
    expect(chartKind(date, group, req)).toBe(want);
  });
});

describe('breakdownBars', () => {
  it('labels dict values by name and pairs the comparison', () => {
    const rows = [
      { channel: { id: 1, name: 'Direct' }, revenue: 10, compare: { revenue: 8 } },
      { channel: null, revenue: null },
    ];
    expect(breakdownBars(rows, 'channel', 'revenue', true)).toEqual([
      { label: 'Direct', value: 10, compare: 8 },
      { label: '(none)', value: null, compare: null },
    ]);
    expect(breakdownBars(rows, 'channel', 'revenue', false)[0]).toEqual({ label: 'Direct', value: 10 });
  });
});

// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { apiRoot, reportSchema } from '../../mocks/fixtures';
import { chartMetric, dateDimension, graphQuery, groupBy, reportNames, tableQuery } from './reportQuery';

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

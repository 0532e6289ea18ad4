// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { apiRoot, channels, reportByChannel, reportSchema } from '../../mocks/fixtures';

const reportFieldStub = {
  blank: false,
  default: 'No default provided.',
  help_text: '',
  nullable: true,
  primary_key: false,
  readonly: true,
  unique: false,
  verbose_name: 'Channel',
};
import type { ReportRow, ReportSchema } from '../../api/types';
import {
  breakdownBars,
  chartKind,
  chartMetric,
  csvUrl,
  dateDimension,
  dictFilterDimensions,
  dictOptionsQuery,
  dictSource,
  graphQuery,
  groupBy,
  legacyReportTarget,
  orderToSorting,
  readPicked,
  readTablePage,
  reportFilters,
  reportNames,
  reportOptions,
  reportPath,
  resourceOptions,
  sharedReportParams,
  sortingToOrder,
  tableQuery,
  withParam,
  writePicked,
  writeTablePage,
} from './reportQuery';

const period = { preset: 'custom' as const, range: { from: '2023-01-03', to: '2023-01-04' }, compare: 'previous_period' as const };

describe('report URL state', () => {
  it('finds reports, the date dimension, the grouping and the metric', () => {
    expect(reportNames(apiRoot)).toEqual(['report-my-data', 'report-sales']);
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
  it('adds the sort and the page to the table query', () => {
    const filters = new URLSearchParams('channel__in=1,2');
    expect(tableQuery('t', reportSchema, period, 'channel', filters, { orderBy: '-revenue', offset: 100, limit: 50 }).toString()).toBe(
      'account=t&channel__in=1%2C2&group_by=channel&totals=true&date__gte=2023-01-03&date__lte=2023-01-04&compare=previous_period&order_by=-revenue&limit=50&offset=100',
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
    expect(csvUrl('report-channel-performance', new URLSearchParams('account=t&group_by=channel&totals=true&limit=100&offset=200&date__gte=2024-03-01'))).toBe(
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
    ['f.channel=1,2', 'channel__in=1%2C2'],
    ['f.channel=2,x,2,,3', 'channel__in=2%2C3'],
    ['f.channel=', ''],
    ['f.channel=1&f.device=tablet&model=4', 'model=4&channel__in=1&device=tablet'],
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
    const rows: ReportRow[] = [
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

describe('report routes', () => {
  it('puts the report in the path and its state in the query', () => {
    expect(reportPath('c-a-demo-gb', 'report-sales')).toBe('/a/c-a-demo-gb/reports/report-sales');
    expect(reportPath('c-a-demo-gb', 'report-sales', '?period=last_7_days')).toBe('/a/c-a-demo-gb/reports/report-sales?period=last_7_days');
    expect(reportPath('c-a-demo-gb', 'report x/y', 'a=1')).toBe('/a/c-a-demo-gb/reports/report%20x%2Fy?a=1');
  });
  it.each([
    ['report=report-sales', '/a/t/reports/report-sales'],
    ['report=report-sales&group_by=goal&f.channel=1%2C2&period=last_7_days', '/a/t/reports/report-sales?group_by=goal&f.channel=1%2C2&period=last_7_days'],
    ['report=report-nope&x=1', '/a/t/reports/report-nope?x=1'],
    ['group_by=goal', null],
    ['report=', null],
  ])('old link ?%s → %s', (search, want) => {
    expect(legacyReportTarget('t', new URLSearchParams(search))).toBe(want);
  });
  it('keeps only the period and comparison when moving to another report', () => {
    expect(sharedReportParams(new URLSearchParams('from=2024-01-01&to=2024-01-31&compare=previous_year&group_by=goal&f.channel=1&offset=100')).toString()).toBe(
      'from=2024-01-01&to=2024-01-31&compare=previous_year',
    );
  });
});

describe('dict filters', () => {
  const schema: ReportSchema = {
    ...reportSchema,
    dimensions: {
      ...reportSchema.dimensions,
      model: { help_text: '', timeframes: [], type: 'dict', verbose_name: 'Attribution model' },
      goal: { help_text: '', timeframes: [], type: 'dict', verbose_name: 'Goal' },
      campaign: { help_text: '', timeframes: [], type: 'dict', verbose_name: 'Campaign' },
    },
    filtering: { channel: 2, date: 1, model: 1, goal: ['exact'], campaign: ['exact', 'in'] },
  };
  it('offers the dict dimensions that take __in, but not the model', () => {
    expect(dictFilterDimensions(schema)).toEqual(['channel', 'campaign']);
  });
  it('reads and writes picked ids, restarting the page', () => {
    const page = new URLSearchParams('f.channel=3,1&offset=100&metric=revenue');
    expect(readPicked(page, 'channel')).toEqual(['3', '1']);
    expect(readPicked(page, 'campaign')).toEqual([]);
    expect(writePicked(page, 'channel', ['3', '1', '4']).toString()).toBe('f.channel=3%2C1%2C4&metric=revenue');
    expect(writePicked(page, 'channel', []).toString()).toBe('metric=revenue');
  });
  it('finds where the names come from: the related resource, else the report itself', () => {
    const related: ReportSchema = {
      ...schema,
      fields: { channel: { ...reportFieldStub, type: 'related', related_type: 'to_one', related_schema: '/api/v1/channel/schema/' } },
    };
    expect(dictSource('report-x', related, 'channel')).toEqual({ kind: 'resource', resource: 'channel' });
    expect(dictSource('report-x', schema, 'channel')).toEqual({ kind: 'report', report: 'report-x' });
    expect(dictOptionsQuery('t', { kind: 'resource', resource: 'channel' }, 'channel').toString()).toBe('account=t&limit=200&offset=0');
    expect(dictOptionsQuery('t', { kind: 'report', report: 'report-x' }, 'channel').toString()).toBe(
      'account=t&group_by=channel&selected_fields=channel&order_by=channel&limit=1000',
    );
  });
  it('turns either answer into options by name', () => {
    expect(reportOptions({ meta: reportByChannel.meta, objects: [{ channel: { id: 2, name: 'Email' } }, { channel: { id: null, name: '(none)' } }] }, 'channel')).toEqual([
      { value: '2', label: 'Email' },
    ]);
    expect(resourceOptions({ meta: { limit: 20, next: null, offset: 0, previous: null, total_count: 1 }, objects: [channels[2]!] })).toEqual([{ value: '3', label: 'SEO' }]);
  });
});

describe('table sort and page', () => {
  it.each([
    ['', 'channel', { orderBy: null, offset: 0, limit: 100 }],
    ['order_by=-revenue&offset=100&limit=50', 'channel', { orderBy: '-revenue', offset: 100, limit: 50 }],
    ['order_by=channel', 'channel', { orderBy: 'channel', offset: 0, limit: 100 }],
    ['order_by=channel', 'date', { orderBy: null, offset: 0, limit: 100 }],
    ['order_by=bogus&offset=-3&limit=7', 'channel', { orderBy: null, offset: 0, limit: 100 }],
  ])('%s (group %s)', (search, group, want) => {
    expect(readTablePage(reportSchema, group, new URLSearchParams(search))).toEqual(want);
  });
  it('writes only what differs from the defaults', () => {
    const page = new URLSearchParams('group_by=channel&order_by=visits&offset=100');
    expect(writeTablePage(page, { orderBy: '-sales', offset: 0, limit: 100 }).toString()).toBe('group_by=channel&order_by=-sales');
    expect(writeTablePage(page, { orderBy: null, offset: 50, limit: 50 }).toString()).toBe('group_by=channel&limit=50&offset=50');
  });
  it('maps order_by to the table sort and back', () => {
    expect(orderToSorting('-revenue')).toEqual([{ id: 'revenue', desc: true }]);
    expect(orderToSorting(null)).toEqual([]);
    expect(sortingToOrder([{ id: 'visits', desc: false }])).toBe('visits');
    expect(sortingToOrder([])).toBeNull();
  });
  it('keeps the page for view-only changes and restarts it otherwise', () => {
    const page = new URLSearchParams('offset=100');
    expect(withParam(page, 'metric', 'revenue').toString()).toBe('offset=100&metric=revenue');
    expect(withParam(page, 'group_by', 'date').toString()).toBe('group_by=date');
    expect(withParam(page, 'offset', '').toString()).toBe('');
  });
});

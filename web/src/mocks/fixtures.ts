// Data shaped exactly like the spec's examples (shared/spec/api.md §11, §12),
// for MSW handlers, stories and tests.
import type {
  ApiRoot,
  Me,
  ReportResponse,
  ReportSchema,
  ResourceObject,
  ResourceSchema,
  SchemaField,
} from '../api/types';
import { NO_DEFAULT } from '../api/types';

export const DEMO_TOKEN = 'c-a-demo-gb';

export const me: Me = {
  accounts: [
    { id: 1, name: 'demo', role: 'admin', time_zone: 'Europe/London', token: DEMO_TOKEN, currency: 'GBP' },
    { id: 2, name: 'shop', role: 'editor', time_zone: 'America/New_York', token: 'c-a-shop-us', currency: 'USD' },
    { id: 3, name: 'boutique', role: 'viewer', time_zone: 'Europe/Paris', token: 'c-a-boutique-fr', currency: 'EUR' },
  ],
  email: 'demo@example.com',
  id: 1,
  is_staff: false,
  name: 'Demo User',
};

function field(type: SchemaField['type'], verbose: string, extra: Partial<SchemaField> = {}): SchemaField {
  return {
    blank: false,
    default: NO_DEFAULT,
    help_text: '',
    nullable: false,
    primary_key: false,
    readonly: false,
    type,
    unique: false,
    verbose_name: verbose,
    ...extra,
  };
}

const resourceUriField = field('string', 'resource uri', { readonly: true, help_text: 'The URI of this object.' });

export const channelSchema: ResourceSchema = {
  allowed_detail_http_methods: ['get', 'put', 'patch', 'delete'],
  allowed_list_http_methods: ['get', 'post', 'put', 'patch', 'delete'],
  default_format: 'application/json',
  default_limit: 20,
  max_limit: 1000,
  fields: {
    active: field('boolean', 'active', { default: true, blank: true }),
    id: field('integer', 'ID', { primary_key: true, readonly: true, unique: true }),
    name: field('string', 'name', { unique: true, max_length: 100, help_text: 'Shown in reports.' }),
    resource_uri: resourceUriField,
  },
  filtering: { active: 1, id: 1, name: 1 },
  ordering: ['id', 'name'],
};

export const patternSchema: ResourceSchema = {
  allowed_detail_http_methods: ['get', 'put', 'patch', 'delete'],
  allowed_list_http_methods: ['get', 'post', 'put', 'patch', 'delete'],
  default_format: 'application/json',
  default_limit: 20,
  max_limit: 1000,
  fields: {
    active: field('boolean', 'active', { default: true, blank: true }),
    channel: field('related', 'channel', {
      related_type: 'to_one',
      related_schema: '/api/v1/channel/schema/',
      help_text: 'The channel a match assigns.',
    }),
    created: field('datetime', 'created', { readonly: true }),
    id: field('integer', 'ID', { primary_key: true, readonly: true, unique: true }),
    is_default: field('boolean', 'is default', { default: false, blank: true }),
    match_on: field('string', 'match on', {
      choices: ['referrer', 'landing_page', 'utm_source'],
      default: 'referrer',
      blank: true,
    }),
    notes: field('string', 'notes', { nullable: true, blank: true }),
    pattern: field('string', 'pattern', { max_length: 200, help_text: 'A regular expression matched against the chosen field.' }),
    priority: field('integer', 'priority', { help_text: 'Lower numbers are tried first.' }),
    resource_uri: resourceUriField,
    starts: field('date', 'starts', { nullable: true, blank: true }),
    updated: field('datetime', 'updated', { readonly: true }),
    weight: field('decimal', 'weight', { default: '1.00', blank: true }),
  },
  filtering: {
    active: 1,
    channel: 2,
    created: 1,
    id: 1,
    is_default: 1,
    match_on: 1,
    pattern: 1,
    priority: 1,
    updated: 1,
  },
  ordering: ['id', 'pattern', 'priority', 'channel', 'created', 'updated', 'match_on'],
};

export const channels: ResourceObject[] = ['Direct', 'Email', 'SEO', 'PPC'].map((name, i) => ({
  active: true,
  id: i + 1,
  name,
  resource_uri: `/api/v1/channel/${i + 1}/`,
}));

function isoAt(day: number, hour: number): string {
  const d = new Date(Date.UTC(2024, 0, 1, 8, 30) + day * 86_400_000 + hour * 3_600_000);
  return `${d.toISOString().slice(0, 19)}+00:00`;
}

/** Patterns 1-20 of §11 (all of them, active or not). */
export function makePatterns(): ResourceObject[] {
  return Array.from({ length: 20 }, (_, k) => {
    const i = k + 1;
    return {
      active: i % 3 !== 0,
      channel: `/api/v1/channel/${((i - 1) % 4) + 1}/`,
      created: isoAt(i, i),
      id: i,
      is_default: false,
      match_on: 'referrer',
      notes: null,
      pattern: `site${String(i).padStart(2, '0')}.example`,
      priority: (37 * i) % 500,
      resource_uri: `/api/v1/pattern/${i}/`,
      starts: null,
      updated: isoAt(i, i),
      weight: '1.00',
    };
  });
}

export const reportSchema: ReportSchema = {
  allowed_detail_http_methods: [],
  allowed_list_http_methods: ['get'],
  default_format: 'application/json',
  default_limit: 20,
  max_limit: 1000,
  fields: {},
  filtering: { channel: 2, date: 1 },
  ordering: ['channel', 'date', 'visits', 'sales', 'revenue', 'conversion_rate', 'aov'],
  verbose_name: 'my data',
  dimensions: {
    channel: { help_text: '', timeframes: [], type: 'dict', verbose_name: 'channel' },
    date: { help_text: '', timeframes: ['day', 'week', 'month', 'quarter', 'year'], type: 'date', verbose_name: 'date' },
  },
  metrics: {
    visits: { aggregation: 'sum(visits)', help_text: 'Sessions on the site.', higher_is_better: true, totals: 'sum(visits)', type: 'integer', verbose_name: 'visits' },
    sales: { aggregation: 'sum(sales)', help_text: '', higher_is_better: true, totals: 'sum(sales)', type: 'integer', verbose_name: 'sales' },
    revenue: { aggregation: 'sum(revenue)', help_text: '', higher_is_better: true, totals: 'sum(revenue)', type: 'money', verbose_name: 'revenue' },
    conversion_rate: {
      aggregation: 'sum(sales) / sum(visits)',
      help_text: 'Sales per visit.',
      higher_is_better: true,
      totals: 'sum(sales) / sum(visits)',
      type: 'percentage',
      verbose_name: 'conversion rate',
    },
    aov: { aggregation: 'sum(revenue) / sum(sales)', help_text: 'Average order value.', higher_is_better: true, totals: 'sum(revenue) / sum(sales)', type: 'money', verbose_name: 'AOV' },
  },
};

const ch = (id: number, name: string) => ({ id, name });

/** §12 `?group_by=channel&totals=true` */
export const reportByChannel: ReportResponse = {
  meta: {
    currency: 'GBP',
    data_version: '1',
    limit: 20,
    next: null,
    offset: 0,
    previous: null,
    served_from: 'report_my_data',
    total_count: 3,
    totals: { aov: 15.29, conversion_rate: 0.566667, revenue: 520, sales: 34, visits: 60 },
  },
  objects: [
    { aov: 13.95, channel: ch(1, 'Direct'), conversion_rate: 0.95, revenue: 265, sales: 19, visits: 20 },
    { aov: 16.5, channel: ch(2, 'Email'), conversion_rate: 0.5, revenue: 165, sales: 10, visits: 20 },
    { aov: 18, channel: ch(3, 'SEO'), conversion_rate: 0.25, revenue: 90, sales: 5, visits: 20 },
  ],
};

/** §12 compare example: previous period. */
export const reportCompare: ReportResponse = {
  meta: {
    currency: 'GBP',
    data_version: '1',
    limit: 20,
    next: null,
    offset: 0,
    previous: null,
    served_from: 'report_my_data',
    total_count: 3,
    totals: { change: { revenue: -0.631579, sales: 0 }, compare: { revenue: 380, sales: 17 }, revenue: 140, sales: 17 },
  },
  objects: [
    { change: { revenue: -0.485714, sales: 0.375 }, channel: ch(1, 'Direct'), compare: { revenue: 175, sales: 8 }, revenue: 90, sales: 11 },
    { change: { revenue: -0.730769, sales: -0.333333 }, channel: ch(2, 'Email'), compare: { revenue: 130, sales: 6 }, revenue: 35, sales: 4 },
    { change: { revenue: -0.8, sales: -0.333333 }, channel: ch(3, 'SEO'), compare: { revenue: 75, sales: 3 }, revenue: 15, sales: 2 },
  ],
};

/** A daily series for charts: deterministic pseudo-data. */
export function dailySeries(from: string, days: number, seed = 1): Array<{ date: string; visits: number; revenue: number }> {
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => {
    const d = new Date(start + i * 86_400_000).toISOString().slice(0, 10);
    const wave = Math.sin((i + seed) / 2.2) * 40 + ((i * 7 + seed * 13) % 17);
    return { date: d, visits: Math.round(220 + wave + i * 2), revenue: Math.round((1800 + wave * 30 + i * 11) * 100) / 100 };
  });
}

export const apiRoot: ApiRoot = Object.fromEntries(
  ['account', 'channel', 'command-definition', 'command-run', 'command-slot', 'connection', 'pattern', 'report-my-data', 'report-sales', 'user'].map((n) => [
    n,
    { list_endpoint: `/api/v1/${n}/`, schema: `/api/v1/${n}/schema/` },
  ]),
);

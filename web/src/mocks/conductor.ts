// MSW handlers for Conductor's HTTP API (spec/conductor.md §10) and
// fixtures for the connection resource, shaped like the real server's
// answers (see openapi.gen.ts).
import { http, HttpResponse, type HttpHandler } from 'msw';
import type { CommandDefinition, CommandRun, CommandRunLog } from '../api/conductor';
import type { ResourceObject, ResourceSchema, SchemaField } from '../api/types';
import { NO_DEFAULT } from '../api/types';

const STATUS_NAMES = ['waiting', 'running', 'timeout', 'failed', 'success', 'cancelled'];

export function makeCommandRuns(): CommandRun[] {
  const base: Array<[string, number, Partial<CommandRun>]> = [
    ['sessionize', 4, {}],
    ['classify_channels', 4, {}],
    ['attribute_sales', 3, { error: 'attribution: context deadline exceeded', exit_detail: 'exit 1' }],
    ['update_agg_channel_daily', 0, { waiting_reason: 'waits for attribute_sales (failed)' }],
    ['import_ad_costs', 1, { progress: { done: 3, total: 8 } }],
  ];
  return base.map(([command, status, extra], i) => ({
    account: '/api/v1/account/1/',
    attempt: 1,
    cancelled_at: null,
    command,
    error: '',
    exit_detail: '',
    failed_at: status === 3 ? '2024-03-15T02:05:00+00:00' : null,
    heartbeat_at: null,
    id: i + 1,
    local_date: '2024-03-14',
    logs: `/api/v1/command-run/${i + 1}/logs/`,
    progress: { done: 0, total: 0 },
    resource_uri: `/api/v1/command-run/${i + 1}/`,
    running_at: status === 0 ? null : `2024-03-15T02:0${i}:00+00:00`,
    slot: `/api/v1/command-slot/${i + 1}/`,
    status,
    status_name: STATUS_NAMES[status] ?? 'waiting',
    success_at: status === 4 ? `2024-03-15T02:0${i + 1}:00+00:00` : null,
    timeout_at: null,
    waiting_at: '2024-03-15T02:00:00+00:00',
    waiting_reason: '',
    worker: 'w-1',
    ...extra,
  }));
}

export const commandDefinitions: CommandDefinition[] = ['attribute_sales', 'classify_channels', 'import_ad_costs', 'sessionize', 'update_agg_channel_daily'].map(
  (name, i) => ({ id: i + 1, name, app: 'core', frequency: 'daily', matrix: 'account', active: true, resource_uri: `/api/v1/command-definition/${i + 1}/` }),
);

export const runLogs: CommandRunLog[] = [
  { seq: 1, at: '2024-03-15T02:04:00+00:00', level: 'info', message: 'attributing 120 sales' },
  { seq: 2, at: '2024-03-15T02:05:00+00:00', level: 'error', message: 'context deadline exceeded' },
];

function page<T>(rows: T[], q: URLSearchParams) {
  const limit = Number(q.get('limit') ?? 20);
  const offset = Number(q.get('offset') ?? 0);
  return { meta: { limit, offset, total_count: rows.length, next: null, previous: null }, objects: rows.slice(offset, offset + limit) };
}

function notFound() {
  return HttpResponse.json({ error: { code: 'not_found', message: 'No such object.' } }, { status: 404 });
}

/** Handlers with their own state; put them before the generic resource handlers. */
export function createConductorMocks(runs: CommandRun[] = makeCommandRuns()): HttpHandler[] {
  let nextId = runs.length + 1;
  return [
    http.get('*/api/v1/command-definition/', ({ request }) => HttpResponse.json(page(commandDefinitions, new URL(request.url).searchParams))),
    http.get('*/api/v1/command-run/', ({ request }) => {
      const q = new URL(request.url).searchParams;
      let rows = [...runs].sort((a, b) => (b.id ?? 0) - (a.id ?? 0));
      const status = q.get('status');
      if (status) rows = rows.filter((r) => String(r.status) === status || r.status_name === status);
      const command = q.get('command');
      if (command) rows = rows.filter((r) => r.command === command);
      const day = q.get('local_date');
      if (day) rows = rows.filter((r) => r.local_date === day);
      return HttpResponse.json(page(rows, q));
    }),
    http.get('*/api/v1/command-run/:id/logs/', ({ params, request }) =>
      runs.some((r) => String(r.id) === params.id) ? HttpResponse.json(page(runLogs, new URL(request.url).searchParams)) : notFound(),
    ),
    http.post('*/api/v1/command-run/:id/retry/', ({ params }) => {
      const old = runs.find((r) => String(r.id) === params.id);
      if (!old) return notFound();
      const id = nextId++;
      const run: CommandRun = {
        ...old,
        id,
        attempt: (old.attempt ?? 1) + 1,
        status: 0,
        status_name: 'waiting',
        error: '',
        exit_detail: '',
        failed_at: null,
        resource_uri: `/api/v1/command-run/${id}/`,
        logs: `/api/v1/command-run/${id}/logs/`,
      };
      runs.push(run);
      return HttpResponse.json(run, { status: 201, headers: { Location: run.resource_uri ?? '' } });
    }),
    http.post('*/api/v1/command-run/:id/cancel/', ({ params }) => {
      const run = runs.find((r) => String(r.id) === params.id);
      if (!run) return notFound();
      run.status = 5;
      run.status_name = 'cancelled';
      run.cancelled_at = '2024-03-15T03:00:00+00:00';
      return HttpResponse.json(run);
    }),
    http.post('*/api/v1/command-slot/trigger/', async ({ request }) => {
      const body = (await request.json()) as { command?: string; from?: string; to?: string; with_downstream?: boolean };
      if (!body.command || !commandDefinitions.some((d) => d.name === body.command)) {
        return HttpResponse.json({ error: { code: 'validation_failed', message: 'Invalid value for command: unknown command', fields: { command: ['unknown command'] } } }, { status: 400 });
      }
      const days = Math.round((Date.parse(body.to ?? '') - Date.parse(body.from ?? '')) / 86_400_000) + 1;
      const commands = body.with_downstream ? [body.command, 'update_agg_channel_daily'] : [body.command];
      return HttpResponse.json({ slots: days * commands.length, busy: 0, commands });
    }),
  ];
}

function field(type: SchemaField['type'], verbose: string, extra: Partial<SchemaField> = {}): SchemaField {
  return { blank: false, default: NO_DEFAULT, help_text: '', nullable: false, primary_key: false, readonly: false, type, unique: false, verbose_name: verbose, ...extra };
}

export const connectionSchema: ResourceSchema = {
  allowed_detail_http_methods: ['get', 'delete'],
  allowed_list_http_methods: ['get'],
  default_format: 'application/json',
  default_limit: 20,
  max_limit: 1000,
  fields: {
    id: field('integer', 'ID', { primary_key: true, readonly: true, unique: true }),
    name: field('string', 'name'),
    provider: field('string', 'provider', { choices: ['google', 'microsoft_ads', 'meta_ads'] }),
    status: field('string', 'status', { choices: ['active', 'broken', 'disconnected'] }),
    status_detail: field('string', 'status detail', { readonly: true }),
    external_account_id: field('string', 'external account id'),
    expires_at: field('datetime', 'expires at', { nullable: true }),
    updated: field('datetime', 'updated', { readonly: true }),
    resource_uri: field('string', 'resource uri', { readonly: true }),
  },
  filtering: { provider: 1, status: 1 },
  ordering: ['id', 'provider'],
};

export function makeConnections(): ResourceObject[] {
  return [
    ['google', 'Demo Shop (Google Ads)', 'active', ''],
    ['meta_ads', 'Demo Shop (Meta)', 'broken', 'The grant was revoked at the provider.'],
  ].map(([provider, name, status, detail], i) => ({
    id: i + 1,
    name,
    provider,
    status,
    status_detail: detail,
    external_account_id: String(1234567890 + i),
    expires_at: null,
    updated: '2024-03-15T02:00:00+00:00',
    resource_uri: `/api/v1/connection/${i + 1}/`,
  }));
}

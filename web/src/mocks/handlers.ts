// A small in-memory imitation of the Cubed API for stories and unit tests.
// It follows shared/spec/api.md closely enough to exercise the dash: the
// error envelope, sessions and CSRF, list meta, order_by, limit/offset,
// `__icontains`/exact filters, validation_failed and conflict.
import { http, HttpResponse, type HttpHandler } from 'msw';
import { isReportResource } from '../api/paths';
import type { DictValue, ErrorCode, Me, ReportResponse, ReportRow, ResourceObject, ResourceSchema } from '../api/types';
import { NO_DEFAULT } from '../api/types';
import {
  apiRoot,
  channels,
  channelSchema,
  makePatterns,
  me as demoMe,
  patternSchema,
  reportByChannel,
  reportSchema,
} from './fixtures';
import { connectionSchema, createConductorMocks, makeConnections } from './conductor';

export const DEMO_PASSWORD = 'correct horse';

export function errorResponse(status: number, code: ErrorCode, message: string, fields?: Record<string, string[]>, headers?: Record<string, string>) {
  return HttpResponse.json({ error: { code, message, ...(fields ? { fields } : {}) } }, { status, headers });
}

interface MockResource {
  schema: ResourceSchema;
  rows: ResourceObject[];
  /** Soft-delete kind "deactivate": DELETE sets active=false, lists hide inactive rows. */
  deactivate?: boolean;
}

export interface MockApiOptions {
  /** Start signed in (default true). */
  signedIn?: boolean;
  me?: Me;
  /** Failed logins before 429 (default 5). */
  loginLimit?: number;
  /** Resources to serve; default channel and pattern. */
  resources?: Record<string, MockResource>;
  /** Delay every response (ms), to see loading states. */
  delay?: number;
}

function matches(row: ResourceObject, key: string, value: string): boolean {
  const [field = '', lookup = 'exact'] = key.split('__');
  const v = row[field];
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  switch (lookup) {
    case 'icontains':
      return s.toLowerCase().includes(value.toLowerCase());
    case 'exact':
      if (value === 'true' || value === 'false') return String(v) === value;
      if (typeof v === 'string' && v.startsWith('/api/v1/')) return v.endsWith(`/${value}/`);
      return s === value;
    default:
      return true;
  }
}

/**
 * Every fixture report answers with §12's rows by channel, narrowed by
 * `channel__in` (totals recomputed) and cut to `selected_fields`.
 */
function reportRows(q: URLSearchParams): ReportResponse {
  const picked = q.get('channel__in')?.split(',');
  const objects = reportByChannel.objects.filter((r) => !picked || picked.includes(String((r.channel as DictValue).id)));
  const sum = (k: string) => objects.reduce((n, r) => n + Number(r[k] ?? 0), 0);
  const [visits, sales, revenue] = [sum('visits'), sum('sales'), sum('revenue')];
  const totals = { visits, sales, revenue, conversion_rate: visits ? sales / visits : null, aov: sales ? Math.round((revenue / sales) * 100) / 100 : null };
  const fields = q.get('selected_fields')?.split(',');
  const keep = (r: ReportRow): ReportRow => (fields ? Object.fromEntries(Object.entries(r).filter(([k]) => fields.includes(k))) : r);
  return { meta: { ...reportByChannel.meta, total_count: objects.length, totals }, objects: objects.map(keep) };
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/** Builds handlers with their own state; call once per story or test. */
export function createMockApi(options: MockApiOptions = {}): HttpHandler[] {
  let signedIn = options.signedIn ?? true;
  const user = options.me ?? demoMe;
  const loginLimit = options.loginLimit ?? 5;
  let failures = 0;
  const resources: Record<string, MockResource> = options.resources ?? {
    channel: { schema: channelSchema, rows: channels.map((c) => ({ ...c })) },
    pattern: { schema: patternSchema, rows: makePatterns(), deactivate: true },
    connection: { schema: connectionSchema, rows: makeConnections() },
  };
  const wait = async () => {
    if (options.delay) await new Promise((r) => setTimeout(r, options.delay));
  };

  const csrfOk = (request: Request) => {
    const cookie = /(?:^|;\s*)csrftoken=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
    const header = request.headers.get('X-CSRFToken');
    // Browsers do not expose Cookie headers to service workers reliably; accept
    // any non-empty header then, and insist on equality when both are visible.
    return header !== null && header !== '' && (cookie === undefined || cookie === header);
  };

  const guard = (request: Request, write = false) => {
    if (!signedIn) return errorResponse(401, 'unauthenticated', 'Authentication credentials were not provided.', undefined, { 'WWW-Authenticate': 'ApiKey realm="cubed"' });
    if (write && !csrfOk(request)) return errorResponse(403, 'forbidden', 'CSRF token missing or incorrect.');
    const account = new URL(request.url).searchParams.get('account');
    if (!account) return errorResponse(400, 'bad_request', "The 'account' parameter is required for this resource.");
    if (!user.accounts.some((a) => a.token === account)) return errorResponse(403, 'forbidden', 'You have no role on this account.');
    return null;
  };

  const validate = (schema: ResourceSchema, body: Record<string, unknown>, partial: boolean, rows: ResourceObject[], selfId?: unknown) => {
    const fields: Record<string, string[]> = {};
    for (const key of Object.keys(body)) {
      if (!(key in schema.fields)) fields[key] = [`Unknown field '${key}'.`];
    }
    for (const [name, f] of Object.entries(schema.fields)) {
      if (f.readonly) continue;
      const v = body[name];
      const missing = v === undefined || v === null || v === '';
      if (missing && !partial && !f.nullable && f.default === NO_DEFAULT) fields[name] = ['This field is required.'];
      if (!missing && f.type === 'integer' && typeof v !== 'number') fields[name] = ['Enter a whole number.'];
      if (!missing && f.type === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(String(v))) fields[name] = ['Enter a date as YYYY-MM-DD.'];
      if (!missing && f.choices && !(typeof v === 'string' && f.choices.includes(v))) fields[name] = [`Choose one of the listed values.`];
      if (!missing && f.max_length && String(v).length > f.max_length) fields[name] = [`At most ${f.max_length} characters.`];
    }
    if (Object.keys(fields).length > 0) return errorResponse(400, 'validation_failed', 'Some fields are not valid.', fields);
    for (const [name, f] of Object.entries(schema.fields)) {
      if (!f.unique || f.readonly || body[name] === undefined) continue;
      if (rows.some((r) => r.id !== selfId && r[name] === body[name])) {
        return errorResponse(409, 'conflict', 'A record with these values already exists.', { [name]: [`A record with this ${f.verbose_name} already exists.`] });
      }
    }
    return null;
  };

  return [
    ...createConductorMocks(),
    http.post('*/api/v1/auth/login/', async ({ request }) => {
      await wait();
      let body: { email?: unknown; password?: unknown };
      try {
        body = (await request.json()) as typeof body;
      } catch {
        return errorResponse(400, 'bad_request', 'Send a JSON object with email and password.');
      }
      if (failures >= loginLimit) {
        return errorResponse(429, 'throttled', 'Too many failed logins.', undefined, { 'Retry-After': '840' });
      }
      if (body.email !== user.email || body.password !== DEMO_PASSWORD) {
        failures += 1;
        return errorResponse(401, 'unauthenticated', 'Unknown email or wrong password.');
      }
      signedIn = true;
      return HttpResponse.json(user, { headers: { 'Set-Cookie': 'csrftoken=mock-csrf; Path=/' } });
    }),
    http.post('*/api/v1/auth/logout/', async () => {
      await wait();
      signedIn = false;
      return new HttpResponse(null, { status: 204 });
    }),
    http.get('*/api/v1/auth/me/', async () => {
      await wait();
      if (!signedIn) return errorResponse(401, 'unauthenticated', 'Authentication credentials were not provided.');
      return HttpResponse.json(user);
    }),
    http.get('*/api/v1/', async () => {
      await wait();
      return HttpResponse.json(apiRoot);
    }),
    http.get('*/api/v1/:resource/schema/', async ({ params }) => {
      await wait();
      const name = String(params.resource);
      if (isReportResource(name) && name in apiRoot) return HttpResponse.json(reportSchema);
      const r = resources[name];
      return r ? HttpResponse.json(r.schema) : errorResponse(404, 'not_found', `No resource '${name}'.`);
    }),
    http.get('*/api/v1/:resource/', async ({ params, request }) => {
      const name = String(params.resource);
      if (!isReportResource(name) || !(name in apiRoot)) return undefined;
      await wait();
      return guard(request) ?? HttpResponse.json(reportRows(new URL(request.url).searchParams));
    }),
    http.get('*/api/v1/:resource/', async ({ params, request }) => {
      await wait();
      const r = resources[String(params.resource)];
      if (!r) return errorResponse(404, 'not_found', 'No such resource.');
      const denied = guard(request);
      if (denied) return denied;
      const q = new URL(request.url).searchParams;
      let rows = r.rows;
      const keys = [...new Set([...q.keys()])].filter((k) => !['account', 'limit', 'offset', 'order_by'].includes(k));
      for (const k of keys) {
        const field = k.split('__')[0] ?? '';
        if (r.schema.filtering?.[field] === undefined) {
          return errorResponse(400, 'invalid_filter', `Unknown filter field '${k}' on resource '${String(params.resource)}'.`);
        }
        const v = q.get(k) ?? '';
        rows = rows.filter((row) => matches(row, k, v));
      }
      if (r.deactivate && !keys.some((k) => k.split('__')[0] === 'active')) rows = rows.filter((row) => row.active !== false);
      const order = [...q.getAll('order_by'), 'id'];
      for (const o of order) {
        const f = o.replace(/^-/, '');
        if (f !== 'id' && !r.schema.ordering?.includes(f)) return errorResponse(400, 'invalid_ordering', `Cannot order by '${f}'.`);
      }
      rows = [...rows].sort((a, b) => {
        for (const o of order) {
          const desc = o.startsWith('-');
          const f = o.replace(/^-/, '');
          const c = compare(a[f], b[f]);
          if (c !== 0) return desc ? -c : c;
        }
        return 0;
      });
      const limitRaw = Number(q.get('limit') ?? r.schema.default_limit);
      const limit = limitRaw === 0 || limitRaw > r.schema.max_limit ? r.schema.max_limit : limitRaw;
      const offset = Number(q.get('offset') ?? 0);
      const page = rows.slice(offset, offset + limit);
      const link = (o: number) => {
        const p = new URLSearchParams(q);
        p.delete('limit');
        p.delete('offset');
        p.set('limit', String(limit));
        p.set('offset', String(o));
        return `/api/v1/${String(params.resource)}/?${p.toString()}`;
      };
      return HttpResponse.json({
        meta: {
          limit,
          next: offset + limit >= rows.length ? null : link(offset + limit),
          offset,
          previous: offset === 0 ? null : link(Math.max(0, offset - limit)),
          total_count: rows.length,
        },
        objects: page,
      });
    }),
    http.get('*/api/v1/:resource/:pk/', async ({ params, request }) => {
      await wait();
      const r = resources[String(params.resource)];
      const denied = guard(request);
      if (denied) return denied;
      const row = r?.rows.find((x) => String(x.id) === params.pk);
      return row ? HttpResponse.json(row) : errorResponse(404, 'not_found', 'No such object.');
    }),
    http.post('*/api/v1/:resource/', async ({ params, request }) => {
      await wait();
      const name = String(params.resource);
      const r = resources[name];
      if (!r) return errorResponse(404, 'not_found', 'No such resource.');
      const denied = guard(request, true);
      if (denied) return denied;
      const body = (await request.json()) as Record<string, unknown>;
      const invalid = validate(r.schema, body, false, r.rows);
      if (invalid) return invalid;
      const id = Math.max(0, ...r.rows.map((x) => Number(x.id))) + 1;
      const defaults = Object.fromEntries(
        Object.entries(r.schema.fields)
          .filter(([, f]) => f.default !== NO_DEFAULT)
          .map(([k, f]) => [k, f.default]),
      );
      const obj: ResourceObject = { ...defaults, ...body, id, resource_uri: `/api/v1/${name}/${id}/` };
      r.rows.push(obj);
      return HttpResponse.json(obj, { status: 201, headers: { Location: obj.resource_uri } });
    }),
    http.patch('*/api/v1/:resource/:pk/', async ({ params, request }) => {
      await wait();
      const r = resources[String(params.resource)];
      const denied = guard(request, true);
      if (denied) return denied;
      const row = r?.rows.find((x) => String(x.id) === params.pk);
      if (!r || !row) return errorResponse(404, 'not_found', 'No such object.');
      const body = (await request.json()) as Record<string, unknown>;
      const invalid = validate(r.schema, body, true, r.rows, row.id);
      if (invalid) return invalid;
      for (const [k, v] of Object.entries(body)) {
        if (!r.schema.fields[k]?.readonly) row[k] = v;
      }
      return HttpResponse.json(row);
    }),
    http.delete('*/api/v1/:resource/:pk/', async ({ params, request }) => {
      await wait();
      const r = resources[String(params.resource)];
      const denied = guard(request, true);
      if (denied) return denied;
      const idx = r?.rows.findIndex((x) => String(x.id) === params.pk) ?? -1;
      if (!r || idx < 0) return errorResponse(404, 'not_found', 'No such object.');
      if (r.deactivate) {
        const row = r.rows[idx];
        if (row) row.active = false;
      } else r.rows.splice(idx, 1);
      return new HttpResponse(null, { status: 204 });
    }),
  ];
}

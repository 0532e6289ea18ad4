import type { ErrorCode, ErrorEnvelope } from './types';

/** Codes the client adds for failures that never reached the API's envelope. */
export type ClientErrorCode = ErrorCode | 'network' | 'unknown';

/** An API failure: the §7 envelope, or a network or non-JSON failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ClientErrorCode;
  readonly fields: Record<string, string[]>;
  /** Seconds from `Retry-After` on 429, else null. */
  readonly retryAfter: number | null;
  readonly requestId: string | null;

  constructor(init: {
    status: number;
    code: ClientErrorCode;
    message: string;
    fields?: Record<string, string[]> | undefined;
    retryAfter?: number | null;
    requestId?: string | null;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.fields = init.fields ?? {};
    this.retryAfter = init.retryAfter ?? null;
    this.requestId = init.requestId ?? null;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Reads one cookie by name (document.cookie), or null. */
export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return null;
}

export type QueryInit = URLSearchParams | Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: QueryInit;
  body?: unknown;
  signal?: AbortSignal;
}

/** Builds an absolute same-origin URL from an API path and query. */
export function apiUrl(path: string, query?: QueryInit): string {
  const url = new URL(path, window.location.origin);
  if (query instanceof URLSearchParams) {
    for (const [k, v] of query) url.searchParams.append(k, v);
  } else if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null) url.searchParams.append(k, String(v));
    }
  }
  return url.toString();
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function isEnvelope(x: unknown): x is ErrorEnvelope {
  if (typeof x !== 'object' || x === null || !('error' in x)) return false;
  const e = (x).error;
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string';
}

async function toApiError(res: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
  const headerRequestId = res.headers.get('X-Request-Id');
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (isEnvelope(body)) {
    return new ApiError({
      status: res.status,
      code: body.error.code,
      message: body.error.message,
      fields: body.error.fields,
      retryAfter,
      requestId: body.error.request_id ?? headerRequestId,
    });
  }
  return new ApiError({
    status: res.status,
    code: 'unknown',
    message: `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`,
    retryAfter,
    requestId: headerRequestId,
  });
}

/**
 * Calls the API: same-origin credentials, JSON in and out, and the CSRF token
 * (from the `csrftoken` cookie) on unsafe methods. Resolves with the parsed
 * body (undefined for 204) or rejects with an ApiError.
 */
export async function apiFetch<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (UNSAFE_METHODS.has(method)) {
    const token = readCookie('csrftoken');
    if (token) headers['X-CSRFToken'] = token;
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError({
      status: 0,
      code: 'network',
      message: 'Cannot reach the Cubed server. Check your connection and try again.',
    });
  }
  if (!res.ok) throw await toApiError(res);
  if (res.status === 204 || res.headers.get('Content-Length') === '0') return undefined as T;
  const text = await res.text();
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError({ status: res.status, code: 'unknown', message: 'The server sent a response that is not JSON.' });
  }
}

/** A sentence for people: what went wrong and, where useful, what to do. */
export function describeError(error: unknown): string {
  if (!isApiError(error)) return error instanceof Error ? error.message : 'Something went wrong.';
  if (error.code === 'throttled') {
    return `Too many attempts. ${retryText(error.retryAfter)}`;
  }
  if (error.code === 'internal' && error.requestId) {
    return `${error.message} (request ${error.requestId})`;
  }
  return error.message;
}

export function retryText(seconds: number | null): string {
  if (seconds === null) return 'Wait a few minutes, then try again.';
  if (seconds < 60) return `Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  const minutes = Math.ceil(seconds / 60);
  return `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

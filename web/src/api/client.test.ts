import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { server } from '../mocks/server';
import { ApiError, apiFetch, apiUrl, describeError, readCookie, retryText } from './client';

describe('readCookie', () => {
  it('finds a cookie among others and decodes it', () => {
    expect(readCookie('csrftoken', 'a=1; csrftoken=ab%20c; b=2')).toBe('ab c');
    expect(readCookie('missing', 'a=1')).toBeNull();
    expect(readCookie('a', '')).toBeNull();
  });
});

describe('apiUrl', () => {
  it('is same-origin and appends query values in order, skipping undefined', () => {
    expect(apiUrl('/api/v1/pattern/', { account: 'c-a-demo-gb', limit: 20, x: undefined })).toBe(
      `${window.location.origin}/api/v1/pattern/?account=c-a-demo-gb&limit=20`,
    );
    expect(apiUrl('/api/v1/pattern/', new URLSearchParams('id__in=2&id__in=5'))).toMatch(/\?id__in=2&id__in=5$/);
  });
});

describe('apiFetch', () => {
  it('sends JSON with same-origin credentials and parses the body', async () => {
    let seen: Request | undefined;
    server.use(
      http.get('*/api/v1/auth/me/', ({ request }) => {
        seen = request;
        return HttpResponse.json({ id: 1 });
      }),
    );
    await expect(apiFetch('/api/v1/auth/me/')).resolves.toEqual({ id: 1 });
    expect(seen?.headers.get('Accept')).toBe('application/json');
    expect(seen?.credentials).toBe('same-origin');
    expect(seen?.headers.get('X-CSRFToken')).toBeNull();
  });

  it('adds X-CSRFToken from the csrftoken cookie on unsafe methods only', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    const headers: Array<[string, string | null, string | null]> = [];
    server.use(
      http.all('*/api/v1/channel/*', ({ request }) => {
        headers.push([request.method, request.headers.get('X-CSRFToken'), request.headers.get('Content-Type')]);
        return request.method === 'DELETE' ? new HttpResponse(null, { status: 204 }) : HttpResponse.json({});
      }),
    );
    await apiFetch('/api/v1/channel/', { query: { account: 'a' } });
    await apiFetch('/api/v1/channel/', { method: 'POST', body: { name: 'Video' } });
    await apiFetch('/api/v1/channel/5/', { method: 'PATCH', body: { name: 'TV' } });
    await expect(apiFetch('/api/v1/channel/5/', { method: 'DELETE' })).resolves.toBeUndefined();
    expect(headers).toEqual([
      ['GET', null, null],
      ['POST', 'tok123', 'application/json'],
      ['PATCH', 'tok123', 'application/json'],
      ['DELETE', 'tok123', null],
    ]);
  });

  it('turns the error envelope into an ApiError with fields', async () => {
    server.use(
      http.post('*/api/v1/channel/', () =>
        HttpResponse.json(
          { error: { code: 'conflict', message: 'Duplicate.', fields: { name: ['A channel with this name already exists.'] } } },
          { status: 409 },
        ),
      ),
    );
    const err = await apiFetch('/api/v1/channel/', { method: 'POST', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(409);
    expect(e.code).toBe('conflict');
    expect(e.fields).toEqual({ name: ['A channel with this name already exists.'] });
  });

  it('reads Retry-After on 429', async () => {
    server.use(
      http.post('*/api/v1/auth/login/', () =>
        HttpResponse.json({ error: { code: 'throttled', message: 'Slow down.' } }, { status: 429, headers: { 'Retry-After': '90' } }),
      ),
    );
    const e = (await apiFetch('/api/v1/auth/login/', { method: 'POST', body: {} }).catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe('throttled');
    expect(e.retryAfter).toBe(90);
    expect(describeError(e)).toBe('Too many attempts. Try again in 2 minutes.');
  });

  it('keeps the request id of a 500', async () => {
    server.use(
      http.get('*/api/v1/boom/', () =>
        HttpResponse.json({ error: { code: 'internal', message: 'Internal error.', request_id: 'r-1' } }, { status: 500 }),
      ),
    );
    const e = (await apiFetch('/api/v1/boom/').catch((x: unknown) => x)) as ApiError;
    expect(e.requestId).toBe('r-1');
    expect(describeError(e)).toBe('Internal error. (request r-1)');
  });

  it('handles a non-JSON error body', async () => {
    server.use(http.get('*/api/v1/html/', () => new HttpResponse('<h1>Bad gateway</h1>', { status: 502, statusText: 'Bad Gateway' })));
    const e = (await apiFetch('/api/v1/html/').catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe('unknown');
    expect(e.status).toBe(502);
    expect(e.message).toBe('The server answered 502 Bad Gateway.');
  });

  it('reports network failures', async () => {
    server.use(http.get('*/api/v1/down/', () => HttpResponse.error()));
    const e = (await apiFetch('/api/v1/down/').catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe('network');
    expect(e.status).toBe(0);
  });
});

describe('retryText', () => {
  it('uses seconds, then minutes', () => {
    expect(retryText(1)).toBe('Try again in 1 second.');
    expect(retryText(45)).toBe('Try again in 45 seconds.');
    expect(retryText(840)).toBe('Try again in 14 minutes.');
    expect(retryText(null)).toBe('Wait a few minutes, then try again.');
  });
});

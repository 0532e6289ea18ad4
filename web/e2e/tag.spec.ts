import { createServer, type Server as HTTPServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

// tag.js in a real browser: a shop page on another origin (its own local
// server) loads the tag from the running Cubed, queues commands before the
// tag arrives, and fires. The collector's answer is read off the network:
// it acknowledges a hit only after its transaction committed.

interface CollectAnswer {
  accepted: number;
  rejected?: { index: number; field: string; reason: string }[];
}

interface Hit {
  id: string;
  type: string;
  account: string;
  visitor: string;
  session: string;
  url: string;
  labels?: Record<string, unknown>;
  event?: { name: string; revenue?: number; currency?: string; transaction_id?: string };
}

let shop: HTTPServer;
let shopURL = '';

test.beforeAll(async () => {
  const cubed = process.env.CUBED_E2E_URL ?? '';
  shop = createServer((req, res) => {
    const sale = req.url?.startsWith('/thanks') ?? false;
    // ?fetch: the browser has no sendBeacon, so the tag falls back to fetch
    // (keepalive), whose answer the test can read.
    const noBeacon = req.url?.includes('fetch') ?? false;
    const commands = [
      noBeacon
        ? "Object.defineProperty(navigator, 'sendBeacon', {value: undefined});" +
          // The page keeps a copy of the collector's answers for the test.
          'window.__answers = []; var realFetch = window.fetch;' +
          'window.fetch = function (u, o) { return realFetch(u, o).then(function (r) { r.clone().json().then(function (j) { window.__answers.push(j); }); return r; }); };'
        : // The real sendBeacon sends; the page keeps a copy of each body for the test.
          'window.__beacons = []; var realBeacon = navigator.sendBeacon.bind(navigator);' +
          'navigator.sendBeacon = function (u, b) { b.text().then(function (t) { window.__beacons.push(t); }); return realBeacon(u, b); };',
      "cubed.push(['setAccount', 'c-a-demo-gb']);",
      sale ? "cubed.push(['addEvent', {name: 'purchase', revenue: 59.99, currency: 'GBP', transaction_id: 'E2E-T1', items: [{sku: 'SKU-1', name: 'Mug', quantity: 2, unit_price: 29.99}]}]);" : '',
      "cubed.push(['label', 'plan', 'pro']);",
      "cubed.push(['fire']);",
    ].join('\n');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${sale ? 'Thanks' : 'Shop'}</title>
<script>window.cubed = window.cubed || [];\n${commands}</script>
<script async src="${cubed}/tag.js"></script></head><body><h1>${sale ? 'Thank you' : 'Shop'}</h1></body></html>`);
  });
  await new Promise<void>((ok) => shop.listen(0, '127.0.0.1', ok));
  shopURL = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise<void>((done) => shop.close(() => done()));
});

/**
 * Opens path on the shop and returns the hits the tag sent and, when it
 * sent them with fetch, the collector's answer as the page read it (a
 * beacon's answer is not readable; its status is).
 */
async function visit(page: Page, path: string): Promise<{ hits: Hit[]; answer?: CollectAnswer }> {
  const responded = page.waitForResponse((r) => r.url().endsWith('/collect') && r.request().method() === 'POST');
  await page.goto(shopURL + path);
  const res = await responded;
  expect(res.status()).toBe(200);
  if (res.request().resourceType() === 'ping') {
    const body = await page.waitForFunction(() => (window as unknown as { __beacons: string[] }).__beacons[0] ?? false);
    return { hits: (JSON.parse(String(await body.jsonValue())) as { hits: Hit[] }).hits };
  }
  const sent = JSON.parse(res.request().postData() ?? '{}') as { hits: Hit[] };
  const answer = await page.waitForFunction(() => (window as unknown as { __answers: CollectAnswer[] }).__answers[0] ?? false);
  return { hits: sent.hits, answer: (await answer.jsonValue()) as CollectAnswer };
}

test('tag.js sends page views and events that the collector stores', async ({ page, context }) => {
  // The landing page sends with navigator.sendBeacon (answered 200).
  const landing = await visit(page, '/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&gclid=E2E-GCLID');
  const [view] = landing.hits;
  expect(view).toMatchObject({ type: 'pageview', account: 'c-a-demo-gb', labels: { plan: 'pro' } });
  // UTM parameters and the click id travel in the landing URL.
  expect(view?.url).toContain('utm_campaign=spring');
  expect(view?.url).toContain('gclid=E2E-GCLID');
  expect(view?.visitor).toMatch(/^[0-9a-f]{32}$/);

  // The visitor and session (30 minutes) cookies are set on the shop's origin.
  const cookies = await context.cookies(shopURL);
  const vid = cookies.find((c) => c.name === 'cubed_vid');
  const sid = cookies.find((c) => c.name === 'cubed_sid');
  expect(vid?.value).toBe(view?.visitor);
  expect(sid?.value).toBe(view?.session);
  const now = Date.now() / 1000;
  // The tag asks for two years; Chromium caps cookie lifetimes at 400 days.
  expect(vid?.expires ?? 0).toBeGreaterThan(now + 399 * 24 * 3600);
  expect(sid?.expires ?? 0).toBeGreaterThan(now + 25 * 60);
  expect(sid?.expires ?? 0).toBeLessThan(now + 31 * 60);

  // A purchase on the next page, sent with fetch: both hits committed,
  // same visitor and session.
  const thanks = await visit(page, '/thanks?fetch');
  expect(thanks.answer).toEqual({ accepted: 2, rejected: [] });
  expect(thanks.hits.map((h) => h.type)).toEqual(['pageview', 'event']);
  expect(thanks.hits[1]?.event).toMatchObject({ name: 'purchase', revenue: 59.99, currency: 'GBP', transaction_id: 'E2E-T1' });
  for (const h of thanks.hits) {
    expect(h.visitor).toBe(view?.visitor);
    expect(h.session).toBe(view?.session);
  }
});

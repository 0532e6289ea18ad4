import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';

// Screenshots go to test-results/ (kept by CI as artifacts).
const shot = (name: string) => `test-results/${name}.png`;

test('GET /healthz answers ok', async ({ request }) => {
  const res = await request.get('/healthz');
  expect(res.status()).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok' });
});

test('GET /api/v1/ lists resources with their schema URLs', async ({ request }) => {
  const res = await request.get('/api/v1/');
  expect(res.status()).toBe(200);
  const root = (await res.json()) as Record<string, { list_endpoint: string; schema: string }>;
  const [name, entry] = Object.entries(root)[0] ?? [];
  expect(name).toBeTruthy();
  expect(entry?.schema).toBe(`/api/v1/${name}/schema/`);
});

test.describe('the dash', () => {
  test('is served with caching headers and an SPA fallback', async ({ request }) => {
    const index = await request.get('/a/c-a-demo-gb/config');
    expect(index.status()).toBe(200);
    expect(index.headers()['cache-control']).toBe('no-cache');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1];
    expect(asset).toBeTruthy();
    const js = await request.get(asset ?? '');
    expect(js.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await request.get('/assets/missing-000.js')).status()).toBe(404);
  });

  test('login page has no serious accessibility violations', async ({ page }) => {
    await page.goto('/login');
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    await page.screenshot({ path: shot('login-1280'), fullPage: true });
    expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  });

  test('log in, see the account switcher, log out', async ({ page, server }) => {
    await page.goto('/');
    await expect(page).toHaveURL(/\/login/);
    await page.getByLabel('Email').fill(server.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toContainText('Unknown email or wrong password.');
    await page.getByLabel('Password').fill(server.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/a\/c-a-demo-gb\/config$/);
    await expect(page.getByRole('heading', { name: 'Configuration', level: 1 })).toBeVisible();
    // The demo user has one account: the switcher shows it as a label.
    await expect(page.getByRole('banner').getByText('c-a-demo-gb')).toBeVisible();
    await page.screenshot({ path: shot('config-1280'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: shot('config-390'), fullPage: true });
    await page.getByRole('button', { name: /User menu/ }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    // A background refetch may land first and add ?next=; either way we are logged out at /login.
    await expect(page).toHaveURL(/\/login(\?|$)/);
    // The session is gone server-side too.
    expect((await page.request.get('/api/v1/auth/me/')).status()).toBe(401);
  });
});

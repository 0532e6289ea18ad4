// The dash's main flows against the real binary (`cubed demo`): reports,
// configuration, Conductor and integrations. Screenshots go to
// test-results/ (gitignored; CI keeps them as artifacts).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, logIn, noSeriousAxe, test } from './fixtures';

const shot = (name: string) => `test-results/${name}.png`;
const BASE = '/a/c-a-demo-gb';
const CHANNELS = `${BASE}/reports/report-channel-performance`;

/** Parses the server's CSV (RFC 4180: quotes, doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

test('the generated API types match /api/v1/openapi.json', ({ server }) => {
  // Fails with "… is stale: run 'npm run gen:api'" when the API changed.
  execFileSync('node', ['scripts/gen-api.mjs', '--url', server.url, '--check'], { cwd: resolve(import.meta.dirname, '..'), stdio: 'inherit' });
});

test.describe('the dash flows', () => {
  test('channel performance: period, compare, group by, sort, CSV export', async ({ page, server }) => {
    test.setTimeout(90_000);
    await logIn(page, server);
    // Time from navigation start to the table on screen, measured in the page
    // with the Performance API (reported, not asserted).
    await page.goto(CHANNELS);
    const shownAt = await page.waitForFunction(
      () => (document.querySelector('main table tbody tr') ? performance.now() : null),
      undefined,
      { polling: 'raf', timeout: 30_000 },
    );
    const ms = (await shownAt.jsonValue()) as number;
    console.log(`PERF channel performance table shown ${ms.toFixed(0)} ms after navigation start`);
    test.info().annotations.push({ type: 'perf', description: `channel performance table: ${ms.toFixed(0)} ms` });

    const table = page.getByRole('table', { name: /by channel/i });
    await expect(table).toBeVisible();
    await page.screenshot({ path: shot('channel-performance-1280'), fullPage: true });
    await noSeriousAxe(page);

    // Period and comparison.
    await page.getByRole('button', { name: /Report period/ }).click();
    await page.getByLabel('Last 28 days').check();
    await page.getByLabel('Compare with').selectOption('previous_period');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/compare=previous_period/);
    await expect(page.getByRole('button', { name: /Report period/ })).toContainText('Last 28 days');
    await expect(table.locator('tbody tr').first()).toBeVisible();

    // Group by another dimension, then back to channel.
    const groupBy = page.getByLabel('Group by');
    const options = await groupBy.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const other = options.find((o) => o !== 'channel');
    if (other) {
      await groupBy.selectOption(other);
      await expect(page).toHaveURL(new RegExp(`group_by=${other}`));
      await expect(page.getByRole('table', { name: new RegExp(`by ${other}`) })).toBeVisible();
      await groupBy.selectOption('channel');
    }
    await expect(table.locator('tbody tr').first()).toBeVisible();

    // The breakdown as bars instead of over time.
    await page.getByLabel('Chart', { exact: true }).selectOption('bar');
    await expect(page).toHaveURL(/chart=bar/);
    await expect(page.getByRole('img', { name: /by Channel$/ })).toBeVisible();

    // Sort by a metric column.
    const header = table.getByRole('columnheader', { name: /Visits/ });
    await header.getByRole('button').click();
    await expect(header).toHaveAttribute('aria-sort', /ascending|descending/);

    // CSV export: the same rows as the table.
    const tableNames = (await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('th, td')?.textContent?.trim() ?? ''))).sort();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    const csv = parseCsv(readFileSync((await download.path()) ?? '', 'utf8'));
    expect(csv[0]?.[0]).toBe('Channel');
    const csvNames = csv.slice(1).filter((r) => r.length > 1).map((r) => r[0] ?? '').sort();
    expect(csvNames).toEqual(tableNames);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: shot('channel-performance-390'), fullPage: true });
    await noSeriousAxe(page);
  });

  test('path analysis shows conversion paths as steps', async ({ page, server }) => {
    await logIn(page, server);
    await page.goto(`${BASE}/reports/report-paths?group_by=path`);
    const view = page.getByRole('region', { name: /by conversion path/ });
    await expect(view).toBeVisible();
    await expect(view.locator('.path-step').first()).toBeVisible();
    await page.screenshot({ path: shot('paths-1280'), fullPage: true });
    await noSeriousAxe(page);
  });

  test('edit a channel pattern and see it saved', async ({ page, server }) => {
    await logIn(page, server);
    await page.goto(`${BASE}/config/pattern/1`);
    const priority = page.getByLabel('Priority');
    await expect(priority).toBeVisible();
    const next = String(Number(await priority.inputValue()) - 1);
    await priority.fill(next);
    await page.getByRole('button', { name: 'Save changes' }).click();
    // Saving goes back to the list, which shows the new priority.
    await expect(page).toHaveURL(/\/config\/pattern$/);
    await expect(page.getByRole('row', { name: /google/ }).first()).toContainText(next);
    await page.goto(`${BASE}/config/pattern/1`);
    await expect(page.getByLabel('Priority')).toHaveValue(next);
    const saved = (await (await page.request.get('/api/v1/pattern/1/?account=c-a-demo-gb')).json()) as { priority: number };
    expect(saved.priority).toBe(Number(next));
  });

  test('Conductor: runs, logs, retry', async ({ page, server }) => {
    await logIn(page, server);
    await page.goto(`${BASE}/conductor`);
    const table = page.getByRole('table', { name: 'Command runs' });
    await expect(table.locator('tbody tr').first()).toBeVisible();
    await page.screenshot({ path: shot('conductor-1280'), fullPage: true });
    await noSeriousAxe(page);
    const topBefore = Number(await table.locator('tbody tr').first().getAttribute('data-run-id'));
    const row = table.locator('tbody tr', { has: page.getByRole('button', { name: /^Retry run/ }) }).first();
    const id = await row.getAttribute('data-run-id');
    await row.getByRole('button', { name: `Logs of run ${id}` }).click();
    await expect(page.getByRole('region', { name: `Logs of run ${id}` })).toBeVisible();
    await row.getByRole('button', { name: `Retry run ${id}` }).click();
    // The retry adds a new run to the slot; the list (newest first) shows it on top.
    await expect.poll(async () => Number(await table.locator('tbody tr').first().getAttribute('data-run-id'))).toBeGreaterThan(topBefore);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: shot('conductor-390'), fullPage: true });
  });

  test('integrations: connect the fake provider', async ({ page, server }) => {
    await logIn(page, server);
    await page.goto(`${BASE}/integrations`);
    await expect(page.getByRole('table', { name: 'Connections' })).toBeVisible();
    await page.screenshot({ path: shot('integrations-1280'), fullPage: true });
    await noSeriousAxe(page);
    // The demo's in-process fake provider approves consent at once and
    // sends the browser back to the dash with the outcome in the query.
    await page.getByRole('link', { name: 'Connect Google' }).click();
    await expect(page).toHaveURL(/\/a\/c-a-demo-gb\/integrations\?.*provider=google/);
    await expect(page.getByRole('status').filter({ hasText: 'Google is connected' })).toBeVisible();
    const google = page.getByRole('table', { name: 'Connections' }).locator('tr', { hasText: 'Google Ads' });
    await expect(google).toContainText('Active');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: shot('integrations-390'), fullPage: true });
  });
});

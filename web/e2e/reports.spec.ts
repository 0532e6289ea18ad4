// Reports against the real binary (`cubed demo`): one route per report of
// the catalogue, old ?report= links, and filtering a report by dictionary
// values (channels) picked by name.
import type { Locator } from '@playwright/test';
import { expect, logIn, noSeriousAxe, test } from './fixtures';

const BASE = '/a/c-a-demo-gb';
const CHANNELS = `${BASE}/reports/report-channel-performance`;

/** The group names of a report table's body rows. */
async function groups(table: Locator): Promise<string[]> {
  return table.locator('tbody tr th').allTextContents();
}

test('every report of the catalogue has its own route, listed in the navigation', async ({ page, server }) => {
  await logIn(page, server);
  const root = (await (await page.request.get('/api/v1/')).json()) as Record<string, unknown>;
  const reports = Object.keys(root).filter((n) => n.startsWith('report-')).sort();
  expect(reports.length).toBeGreaterThan(5);

  await page.goto(CHANNELS);
  await expect(page.getByRole('heading', { level: 1, name: 'Channel performance' })).toBeVisible();
  await expect(page.getByRole('table', { name: /by channel/i }).locator('tbody tr').first()).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Reports' });
  const links = nav.getByRole('link');
  await expect(links).toHaveCount(reports.length);
  expect(await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')?.split('?')[0]))).toEqual(
    reports.map((r) => `${BASE}/reports/${r}`),
  );
  await expect(nav.locator('[aria-current="page"]')).toHaveText('Channel performance');

  // By keyboard to another report: the link is reachable with Tab and follows on Enter.
  const overview = nav.getByRole('link', { name: 'Overview' });
  await overview.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`${BASE}/reports/report-overview$`));
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  await expect(overview).toHaveAttribute('aria-current', 'page');

  // An unknown report says so, by name.
  await page.goto(`${BASE}/reports/report-nope`);
  await expect(page.getByRole('heading', { name: 'There is no report “report-nope”' })).toBeVisible();
});

test('an old ?report= link redirects to the report route with its state', async ({ page, server }) => {
  await logIn(page, server);
  await page.goto(`${BASE}/reports?report=report-channel-performance&group_by=device&period=last_7_days`);
  await expect(page).toHaveURL(`${BASE}/reports/report-channel-performance?group_by=device&period=last_7_days`);
  await expect(page.getByRole('table', { name: /by device/i }).locator('tbody tr').first()).toBeVisible();
  await expect(page.getByRole('button', { name: /Report period/ })).toContainText('Last 7 days');
});

test('filter channel performance by a channel picked by name, then remove the chip', async ({ page, server }) => {
  await logIn(page, server);
  await page.goto(CHANNELS);
  const table = page.getByRole('table', { name: /by channel/i });
  await expect(table.locator('tbody tr').first()).toBeVisible();
  const all = await groups(table);
  expect(all.length).toBeGreaterThan(2);
  expect(all).toContain('Email');

  // Pick "Email" by name, by keyboard.
  const trigger = page.getByRole('button', { name: 'Filter by Channel' });
  await trigger.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Filter by Channel' });
  await expect(dialog).toBeVisible();
  // The schema's related_schema points the picker at the channel resource,
  // so it offers every channel, also those without rows in the report.
  const schema = (await (await page.request.get('/api/v1/report-channel-performance/schema/')).json()) as {
    fields: Record<string, { related_schema?: string }>;
  };
  expect(schema.fields.channel?.related_schema).toBe('/api/v1/channel/schema/');
  const channels = (await (await page.request.get('/api/v1/channel/?account=c-a-demo-gb&limit=100')).json()) as { objects: Array<{ name: string }> };
  const names = channels.objects.map((c) => c.name).sort();
  expect(names.length).toBeGreaterThan(all.length);
  await expect.poll(async () => (await dialog.locator('label:has(input[type=checkbox])').allTextContents()).map((t) => t.trim()).sort()).toEqual(names);
  const email = dialog.getByRole('checkbox', { name: 'Email', exact: true });
  await email.focus();
  await page.keyboard.press('Space');
  await expect(email).toBeChecked();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // The URL holds the filter (the channel's id), the table narrows to it.
  await expect(page).toHaveURL(/[?&]f\.channel=\d+(&|$)/);
  await expect.poll(() => groups(table)).toEqual(['Email']);
  const id = new URL(page.url()).searchParams.get('f.channel');
  const api = (await (await page.request.get(`/api/v1/channel/${id}/?account=c-a-demo-gb`)).json()) as { name: string };
  expect(api.name).toBe('Email');
  await noSeriousAxe(page);

  // The filter survives a reload (it is in the URL).
  await page.reload();
  await expect.poll(() => groups(table)).toEqual(['Email']);

  // Remove the chip: every channel is back, the URL has no filter.
  const chip = page.getByRole('button', { name: 'Remove Channel filter: Email' });
  await chip.click();
  await expect(chip).toBeHidden();
  await expect(page).not.toHaveURL(/f\.channel=/);
  await expect.poll(async () => (await groups(table)).sort()).toEqual([...all].sort());
  await expect(trigger).toBeFocused();
});

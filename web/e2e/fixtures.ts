import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page } from '@playwright/test';

export interface Server {
  url: string;
  email: string;
  password: string;
}

export const test = base.extend<{ server: Server }>({
  server: async ({}, use) => {
    const url = process.env.CUBED_E2E_URL;
    if (!url) throw new Error('CUBED_E2E_URL is not set: run through playwright.config.ts (global setup starts the server)');
    await use({ url, email: process.env.CUBED_E2E_EMAIL ?? '', password: process.env.CUBED_E2E_PASSWORD ?? '' });
  },
  baseURL: async ({}, use) => {
    await use(process.env.CUBED_E2E_URL);
  },
});

/** Logs in through the login page; the dash then opens the demo account. */
export async function logIn(page: Page, server: Server) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(server.email);
  await page.getByLabel('Password').fill(server.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/a\/c-a-demo-gb\//);
}

/** axe on the page as it is: no serious or critical violations. */
export async function noSeriousAxe(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

export { expect };

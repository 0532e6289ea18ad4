import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { createMockApi } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render';

vi.mock('../../components/ChartFrame/echarts', () => ({
  echarts: { init: () => ({ setOption: () => {}, resize: () => {}, dispose: () => {} }) },
}));

const rowNames = (table: HTMLElement) =>
  within(table)
    .getAllByRole('row')
    .slice(1, -1)
    .map((r) => within(r).getByRole('rowheader').textContent);

describe('ReportPage', () => {
  it('opens the first report on its own route, grouped by its dict dimension with totals', async () => {
    server.use(...createMockApi());
    const { router } = await renderApp('/a/c-a-demo-gb/reports');
    const table = await screen.findByRole('table', { name: 'My data by channel' });
    expect(router.state.location.pathname).toBe('/a/c-a-demo-gb/reports/report-my-data');
    const rows = within(table).getAllByRole('row');
    expect(rows.at(-1)).toHaveTextContent('Total');
    expect(rows.at(-1)).toHaveTextContent('£520.00');
    expect(screen.getByRole('heading', { level: 1, name: 'My data' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Report period: Last 28 days/ })).toBeInTheDocument();
  });

  it('lists every report as a link, the open one marked current, keeping the period', async () => {
    server.use(...createMockApi());
    const { router } = await renderApp('/a/c-a-demo-gb/reports/report-my-data?period=last_7_days&group_by=date');
    const nav = await screen.findByRole('navigation', { name: 'Reports' });
    const mine = within(nav).getByRole('link', { name: 'My data' });
    const sales = within(nav).getByRole('link', { name: 'Sales' });
    expect(mine).toHaveAttribute('aria-current', 'page');
    expect(sales).not.toHaveAttribute('aria-current');
    expect(sales).toHaveAttribute('href', '/a/c-a-demo-gb/reports/report-sales?period=last_7_days');
    sales.focus();
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(router.state.location.pathname).toBe('/a/c-a-demo-gb/reports/report-sales'));
    expect(within(nav).getByRole('link', { name: 'Sales' })).toHaveAttribute('aria-current', 'page');
    expect(await screen.findByRole('table', { name: 'Sales by channel' })).toBeInTheDocument();
  });

  it('redirects old ?report= links to the report route with their state', async () => {
    server.use(...createMockApi());
    const { router } = await renderApp('/a/c-a-demo-gb/reports?report=report-sales&period=last_7_days&f.channel=2');
    await screen.findByRole('table', { name: 'Sales by channel' });
    expect(router.state.location.pathname).toBe('/a/c-a-demo-gb/reports/report-sales');
    expect(router.state.location.search).toBe('?period=last_7_days&f.channel=2');
  });

  it('names an unknown report', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/reports/report-nope');
    expect(await screen.findByRole('heading', { name: 'There is no report “report-nope”' })).toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Reports' })).toBeInTheDocument();
  });

  it('filters by channels picked by name, as chips in the URL', async () => {
    const queries: URLSearchParams[] = [];
    server.use(
      http.get('*/api/v1/report-my-data/', ({ request }) => {
        queries.push(new URL(request.url).searchParams);
        return undefined;
      }),
      ...createMockApi(),
    );
    const { router } = await renderApp('/a/c-a-demo-gb/reports/report-my-data');
    const table = await screen.findByRole('table', { name: 'My data by channel' });
    expect(rowNames(table)).toEqual(['Direct', 'Email', 'SEO']);

    await userEvent.click(screen.getByRole('button', { name: 'Filter by Channel' }));
    const dialog = await screen.findByRole('dialog', { name: 'Filter by Channel' });
    await userEvent.click(await within(dialog).findByRole('checkbox', { name: 'Email' }));
    await waitFor(() => expect(router.state.location.search).toBe('?f.channel=2'));
    await waitFor(() => expect(rowNames(table)).toEqual(['Email']));
    expect(queries.some((q) => q.get('channel__in') === '2' && q.get('group_by') === 'channel')).toBe(true);
    await userEvent.click(within(dialog).getByRole('checkbox', { name: 'SEO' }));
    await waitFor(() => expect(router.state.location.search).toBe('?f.channel=2%2C3'));
    await waitFor(() => expect(rowNames(table)).toEqual(['Email', 'SEO']));
    await userEvent.keyboard('{Escape}');

    const chips = screen.getByRole('list', { name: 'Channel filters' });
    expect(within(chips).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Email×', 'SEO×']);
    await userEvent.click(within(chips).getByRole('button', { name: 'Remove Channel filter: Email' }));
    await waitFor(() => expect(router.state.location.search).toBe('?f.channel=3'));
    await waitFor(() => expect(rowNames(table)).toEqual(['SEO']));
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(router.state.location.search).toBe(''));
    await waitFor(() => expect(rowNames(table)).toEqual(['Direct', 'Email', 'SEO']));
  });

  it('sorts on the server through order_by in the URL', async () => {
    const orders: Array<string | null> = [];
    server.use(
      http.get('*/api/v1/report-my-data/', ({ request }) => {
        const q = new URL(request.url).searchParams;
        if (q.get('totals')) orders.push(q.get('order_by'));
        return undefined;
      }),
      ...createMockApi(),
    );
    const { router } = await renderApp('/a/c-a-demo-gb/reports/report-my-data?order_by=-revenue');
    const table = await screen.findByRole('table', { name: 'My data by channel' });
    const revenue = within(table).getByRole('columnheader', { name: /Revenue/ });
    expect(revenue).toHaveAttribute('aria-sort', 'descending');
    await userEvent.click(within(revenue).getByRole('button'));
    await waitFor(() => expect(router.state.location.search).toBe('?order_by=revenue'));
    await waitFor(() => expect(orders.at(-1)).toBe('revenue'));
    expect(orders).toContain('-revenue');
  });
});

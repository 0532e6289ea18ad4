import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { apiRoot } from '../../mocks/fixtures';
import { createMockApi } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render';
import { runsQuery } from './ConductorPage';

describe('runsQuery', () => {
  it.each([
    ['', 'account=t&limit=50&order_by=-id'],
    ['status=3&command=sessionize', 'account=t&limit=50&order_by=-id&status=3&command=sessionize'],
    ['local_date=2024-03-14&offset=50', 'account=t&limit=50&order_by=-id&local_date=2024-03-14&offset=50'],
    ['offset=-5&other=x', 'account=t&limit=50&order_by=-id'],
  ])('%s → %s', (page, api) => {
    expect(runsQuery('t', new URLSearchParams(page)).toString()).toBe(api);
  });
});

describe('ConductorPage', { timeout: 20_000 }, () => {
  it('lists runs with status, progress and why a run waits', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/conductor');
    const table = await screen.findByRole('table', { name: 'Command runs' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(6);
    expect(rows[1]).toHaveTextContent('import_ad_costs');
    expect(rows[1]).toHaveTextContent('3 / 8 (38%)');
    expect(rows[2]).toHaveTextContent('Waits: waits for attribute_sales (failed)');
    expect(rows[3]).toHaveTextContent('attribution: context deadline exceeded');
  });

  it('retries a failed run and cancels a waiting one', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/conductor');
    const user = userEvent.setup();
    const table = await screen.findByRole('table', { name: 'Command runs' }, { timeout: 5000 });
    await user.click(within(table).getByRole('button', { name: 'Retry run 3' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(7));
    expect(within(table).getAllByRole('row')[1]).toHaveTextContent('#6attribute_sales');
    await user.click(within(table).getByRole('button', { name: 'Cancel run 4' }));
    await waitFor(() => expect(within(table).getByText('#4').closest('tr')).toHaveTextContent('Cancelled'));
  });

  it('shows a run’s logs', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/conductor');
    const table = await screen.findByRole('table', { name: 'Command runs' }, { timeout: 5000 });
    await userEvent.click(within(table).getByRole('button', { name: 'Logs of run 3' }));
    const logs = await screen.findByRole('region', { name: 'Logs of run 3' });
    expect(await within(logs).findByText(/ERROR context deadline exceeded/)).toBeInTheDocument();
  });

  it('triggers a backfill with downstream commands', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/conductor');
    const user = userEvent.setup();
    await screen.findByRole('table', { name: 'Command runs' }, { timeout: 5000 });
    await waitFor(() => expect(screen.getByLabelText('Command to backfill')).toHaveTextContent('sessionize'));
    await user.selectOptions(screen.getByLabelText('Command to backfill'), 'sessionize');
    await user.clear(screen.getByLabelText('From'));
    await user.type(screen.getByLabelText('From'), '2024-03-01');
    await user.clear(screen.getByLabelText('To'));
    await user.type(screen.getByLabelText('To'), '2024-03-03');
    await user.click(screen.getByRole('button', { name: 'Start backfill' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Reopened 6 slots of sessionize, update_agg_channel_daily.');
  });

  it('filters by status through the URL', async () => {
    server.use(...createMockApi());
    const { router } = await renderApp('/a/c-a-demo-gb/conductor');
    await userEvent.selectOptions(await screen.findByLabelText('Status'), 'Failed');
    await waitFor(() => expect(router.state.location.search).toBe('?status=3'));
    const table = screen.getByRole('table', { name: 'Command runs' });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(2));
  });

  it('says when the server has no command runs yet', async () => {
    const root = Object.fromEntries(Object.entries(apiRoot).filter(([k]) => k !== 'command-run'));
    server.use(http.get('*/api/v1/', () => HttpResponse.json(root)), ...createMockApi());
    await renderApp('/a/c-a-demo-gb/conductor');
    expect(await screen.findByRole('heading', { name: 'Conductor is not available yet' })).toBeInTheDocument();
  });
});

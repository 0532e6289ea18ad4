import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http } from 'msw';
import { describe, expect, it } from 'vitest';
import { me } from '../../mocks/fixtures';
import { createMockApi } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render';

function rowsOf(table: HTMLElement) {
  return within(table).getAllByRole('row').slice(1);
}

describe('ResourceListPage', () => {
  it('shows columns from the schema, channel names and the first page', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/config/pattern');
    const table = await screen.findByRole('table', { name: 'Patterns' });
    const headers = within(table).getAllByRole('columnheader').map((h) => h.textContent?.replace(/[▲▼↕]/g, ''));
    expect(headers).toEqual(['ID', 'Pattern', 'Active', 'Channel', 'Is default', 'Match on', 'Notes', 'Priority']);
    expect(rowsOf(table)).toHaveLength(14);
    await waitFor(() => expect(rowsOf(table)[0]).toHaveTextContent('Direct'));
    expect(screen.getByText('1–14 of 14 patterns')).toBeInTheDocument();
    expect(within(table).getByRole('link', { name: 'site01.example' })).toHaveAttribute('href', '/a/c-a-demo-gb/config/pattern/1');
  });

  it('sorts via order_by, pages via limit/offset, and keeps both in the URL', async () => {
    const seen: string[] = [];
    server.use(
      http.get('*/api/v1/pattern/', ({ request }) => {
        seen.push(new URL(request.url).search);
      }),
      ...createMockApi(),
    );
    const { router } = await renderApp('/a/c-a-demo-gb/config/pattern?limit=5');
    const table = await screen.findByRole('table', { name: 'Patterns' });
    await userEvent.click(within(table).getByRole('button', { name: /Priority/ }));
    await waitFor(() => expect(router.state.location.search).toBe('?order_by=priority&limit=5'));
    await waitFor(() => expect(rowsOf(table)[0]).toHaveTextContent('site14.example'));
    expect(seen).toContain('?account=c-a-demo-gb&order_by=priority&limit=5&offset=0');
    await userEvent.click(screen.getByRole('button', { name: /Next/ }));
    await waitFor(() => expect(router.state.location.search).toBe('?order_by=priority&limit=5&offset=5'));
    expect(await screen.findByText('6–10 of 14 patterns')).toBeInTheDocument();
    await userEvent.click(within(table).getByRole('button', { name: /Priority/ }));
    await waitFor(() => expect(router.state.location.search).toBe('?order_by=-priority&limit=5'));
  });

  it('filters with the filter box and says when nothing matches', async () => {
    server.use(...createMockApi());
    const { router } = await renderApp('/a/c-a-demo-gb/config/pattern');
    await screen.findByRole('table');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Filter by pattern' }), 'site1{Enter}');
    await waitFor(() => expect(router.state.location.search).toBe('?q=site1'));
    await waitFor(() => expect(screen.getByText(/of 7 patterns/)).toBeInTheDocument());
    await userEvent.clear(screen.getByRole('searchbox'));
    await userEvent.type(screen.getByRole('searchbox'), 'zzz{Enter}');
    expect(await screen.findByRole('heading', { name: 'No patterns match' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Clear the filter' }));
    await waitFor(() => expect(router.state.location.search).toBe(''));
  });

  it('says what to do when a list is empty', async () => {
    server.use(...createMockApi({ resources: { channel: { schema: (await import('../../mocks/fixtures')).channelSchema, rows: [] } } }));
    await renderApp('/a/c-a-demo-gb/config/channel');
    expect(await screen.findByRole('heading', { name: 'No channels yet' })).toBeInTheDocument();
    expect(screen.getByText('Create the first channel with “New channel”.')).toBeInTheDocument();
    expect(screen.getAllByRole('link', { name: 'New channel' })[0]).toHaveAttribute('href', '/a/c-a-demo-gb/config/channel/new');
  });

  it('hides New for viewers', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-boutique-fr/config/channel');
    await screen.findByRole('table', { name: 'Channels' });
    expect(screen.queryByRole('link', { name: 'New channel' })).not.toBeInTheDocument();
    expect(me.accounts[2]?.role).toBe('viewer');
  });

  it('reports an unknown resource', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/config/nope');
    expect(await screen.findByRole('alert')).toHaveTextContent('no resource named “nope”');
  });
});

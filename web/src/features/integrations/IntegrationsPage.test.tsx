import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { createMockApi } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render';
import { connectOutcome, connectUrl } from './IntegrationsPage';

describe('connectUrl', () => {
  it('escapes provider and account', () => {
    expect(connectUrl('meta_ads', 'c-a-demo gb')).toBe('/integrations/meta_ads/connect?account=c-a-demo%20gb');
  });
});

describe('IntegrationsPage', { timeout: 20_000 }, () => {
  it('lists connections, says why one is broken, and links to the connect flow', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/integrations');
    const table = await screen.findByRole('table', { name: 'Connections' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[2]).toHaveTextContent('Broken');
    expect(rows[2]).toHaveTextContent('The grant was revoked at the provider.');
    expect(within(rows[2] as HTMLElement).getByRole('link', { name: /Reconnect/ })).toHaveAttribute('href', '/integrations/meta_ads/connect?account=c-a-demo-gb');
    expect(screen.getByRole('link', { name: 'Connect Google' })).toHaveAttribute('href', '/integrations/google/connect?account=c-a-demo-gb');
  });

  it('disconnects after confirming', async () => {
    document.cookie = 'csrftoken=mock-csrf; path=/';
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/integrations');
    const user = userEvent.setup();
    const list = await screen.findByRole('table', { name: 'Connections' }, { timeout: 5000 });
    await user.click(within(list).getByRole('button', { name: 'Disconnect Demo Shop (Google Ads)' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Disconnect' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const table = screen.getByRole('table', { name: 'Connections' });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(2));
  });
});

describe('connectOutcome', () => {
  it.each([
    ['provider=google&connected=1', { tone: 'ok', text: 'Google is connected.' }],
    ['provider=meta_ads&error=denied', { tone: 'error', text: 'Meta: The provider’s consent was refused. Nothing was stored.' }],
    ['provider=google&error=weird', { tone: 'error', text: 'Google: connecting failed (weird).' }],
    ['provider=microsoft_ads&pick=4', { tone: 'ok', text: 'Microsoft Advertising is connected: choose the ad account to import.' }],
    ['', null],
  ])('%s', (qs, want) => {
    expect(connectOutcome(new URLSearchParams(qs))).toEqual(want);
  });
});

import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { apiRoot } from '../../mocks/fixtures';
import { createMockApi } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render';

describe('ConductorPage', () => {
  it('lists command runs read-only', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/conductor');
    const table = await screen.findByRole('table', { name: 'Conductor runs' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(rows[3]).toHaveTextContent('Running');
    expect(within(table).queryByRole('link')).not.toBeInTheDocument();
    expect(screen.queryByRole('link', { name: /New/ })).not.toBeInTheDocument();
  });

  it('says when the server has no command runs yet', async () => {
    const root = Object.fromEntries(Object.entries(apiRoot).filter(([k]) => k !== 'command-run'));
    server.use(http.get('*/api/v1/', () => HttpResponse.json(root)), ...createMockApi());
    await renderApp('/a/c-a-demo-gb/conductor');
    expect(await screen.findByRole('heading', { name: 'Conductor is not available yet' })).toBeInTheDocument();
  });
});

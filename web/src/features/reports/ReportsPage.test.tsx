import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { createMockApi } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render';

vi.mock('../../components/TimeSeriesChart/echarts', () => ({
  echarts: { init: () => ({ setOption: () => {}, resize: () => {}, dispose: () => {} }) },
}));

describe('ReportsPage', () => {
  it('shows the first report grouped by its dict dimension with totals', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/reports');
    const table = await screen.findByRole('table', { name: 'My data by channel' });
    const rows = within(table).getAllByRole('row');
    expect(rows.at(-1)).toHaveTextContent('Total');
    expect(rows.at(-1)).toHaveTextContent('£520.00');
    expect(screen.getByRole('button', { name: /Report period: Last 28 days/ })).toBeInTheDocument();
  });
});

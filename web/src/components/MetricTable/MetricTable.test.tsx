import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { reportByChannel, reportCompare } from '../../mocks/fixtures';
import { MetricTable } from './MetricTable';

const dims = [{ key: 'channel', label: 'Channel', type: 'dict' as const }];

describe('MetricTable', () => {
  it('formats values by type and renders totals', () => {
    render(
      <MetricTable
        caption="By channel"
        dimensions={dims}
        metrics={[
          { key: 'visits', label: 'Visits', type: 'integer' },
          { key: 'revenue', label: 'Revenue', type: 'money' },
          { key: 'conversion_rate', label: 'CR', type: 'percentage' },
        ]}
        rows={reportByChannel.objects}
        totals={reportByChannel.meta.totals}
        currency="GBP"
        locale="en-GB"
      />,
    );
    const rows = within(screen.getByRole('table', { name: 'By channel' })).getAllByRole('row');
    expect(rows[1]).toHaveTextContent(/Direct\s*20£265\.0095\.00%/);
    expect(within(rows[1]!).getByRole('rowheader')).toHaveTextContent('Direct');
    expect(rows[4]).toHaveTextContent(/Total\s*60£520\.0056\.67%/);
  });

  it('sorts metrics descending first, then ascending', async () => {
    render(
      <MetricTable caption="t" dimensions={dims} metrics={[{ key: 'sales', label: 'Sales', type: 'integer' }]} rows={reportByChannel.objects} />,
    );
    const first = () => within(screen.getByRole('table')).getAllByRole('row')[1];
    await userEvent.click(screen.getByRole('button', { name: /Sales/ }));
    expect(first()).toHaveTextContent('Direct');
    await userEvent.click(screen.getByRole('button', { name: /Sales/ }));
    expect(first()).toHaveTextContent('SEO');
    await userEvent.click(screen.getByRole('button', { name: /Channel/ }));
    expect(first()).toHaveTextContent('Direct');
  });

  it('leaves sorting to the server when sorting is given', async () => {
    const onSortingChange = vi.fn();
    render(
      <MetricTable
        caption="t"
        dimensions={dims}
        metrics={[{ key: 'sales', label: 'Sales', type: 'integer' }]}
        rows={reportByChannel.objects}
        sorting={[{ id: 'sales', desc: true }]}
        onSortingChange={onSortingChange}
      />,
    );
    expect(screen.getByRole('columnheader', { name: /Sales/ })).toHaveAttribute('aria-sort', 'descending');
    await userEvent.click(screen.getByRole('button', { name: /Sales/ }));
    expect(onSortingChange).toHaveBeenLastCalledWith([{ id: 'sales', desc: false }]);
    expect(within(screen.getByRole('table')).getAllByRole('row')[1]).toHaveTextContent('Direct');
  });

  it('shows changes with a spoken comparison', () => {
    render(
      <MetricTable
        caption="t"
        dimensions={dims}
        metrics={[{ key: 'revenue', label: 'Revenue', type: 'money' }]}
        rows={reportCompare.objects}
        totals={reportCompare.meta.totals}
        currency="GBP"
        locale="en-GB"
      />,
    );
    expect(screen.getByText('-48.6%')).toHaveClass('change-bad');
    expect(screen.getByText('-48.6%')).toHaveTextContent('compared with £175.00');
    expect(screen.getByText('-63.2%')).toBeInTheDocument();
  });

  it('says when there is no data', () => {
    render(<MetricTable caption="t" dimensions={dims} metrics={[{ key: 'visits', label: 'Visits', type: 'integer' }]} rows={[]} />);
    expect(screen.getByText('No data for this period.')).toBeInTheDocument();
  });
});

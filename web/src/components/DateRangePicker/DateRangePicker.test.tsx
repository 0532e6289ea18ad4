import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { DateRangePicker } from './DateRangePicker';

describe('DateRangePicker', () => {
  const value = { preset: 'this_month' as const, range: { from: '2024-03-01', to: '2024-03-15' }, compare: 'previous_year' as const };

  it('summarises the period and the comparison on the trigger', () => {
    render(<DateRangePicker value={value} today="2024-03-15" locale="en-GB" onChange={() => {}} />);
    const trigger = screen.getByRole('button', { name: /Report period/ });
    expect(trigger).toHaveTextContent('This month · 1 Mar – 15 Mar 2024');
    expect(trigger).toHaveTextContent('vs 1 Mar – 15 Mar 2023');
  });

  it('applies a preset and drops the comparison', async () => {
    const onChange = vi.fn();
    render(<DateRangePicker value={value} today="2024-03-15" onChange={onChange} />);
    await userEvent.click(screen.getByRole('button', { name: /Report period/ }));
    await userEvent.click(screen.getByRole('radio', { name: 'Last month' }));
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Compare with' }), 'none');
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(onChange).toHaveBeenCalledWith({ preset: 'last_month', range: { from: '2024-02-01', to: '2024-02-29' }, compare: 'none' });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('cancel keeps the old value', async () => {
    const onChange = vi.fn();
    render(<DateRangePicker value={value} today="2024-03-15" onChange={onChange} />);
    await userEvent.click(screen.getByRole('button', { name: /Report period/ }));
    await userEvent.click(screen.getByRole('radio', { name: 'Last 90 days' }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onChange).not.toHaveBeenCalled();
  });
});

import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { FilterBox } from './FilterBox';

describe('FilterBox', () => {
  it('debounces typing into one change', async () => {
    const onChange = vi.fn();
    render(<FilterBox label="Filter" value="" onChange={onChange} delay={20} />);
    await userEvent.type(screen.getByRole('searchbox', { name: 'Filter' }), 'abc');
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledWith('abc'));
    expect(onChange).toHaveBeenCalledTimes(1);
  });

  it('sends at once on Enter, clears on Escape, follows outside changes', async () => {
    const onChange = vi.fn();
    const { rerender } = render(<FilterBox label="Filter" value="x" onChange={onChange} delay={10_000} />);
    const box = screen.getByRole('searchbox');
    await userEvent.type(box, 'y{Enter}');
    expect(onChange).toHaveBeenLastCalledWith('xy');
    await userEvent.keyboard('{Escape}');
    expect(onChange).toHaveBeenLastCalledWith('');
    rerender(<FilterBox label="Filter" value="from-url" onChange={onChange} delay={10_000} />);
    expect(box).toHaveValue('from-url');
  });
});

import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { Pagination } from './Pagination';

describe('Pagination', () => {
  it('shows the range and moves back', async () => {
    const onChange = vi.fn();
    render(<Pagination offset={40} limit={20} total={45} onChange={onChange} />);
    expect(screen.getByText('41–45 of 45 rows')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Next/ })).toBeDisabled();
    await userEvent.click(screen.getByRole('button', { name: /Previous/ }));
    expect(onChange).toHaveBeenCalledWith({ offset: 20, limit: 20 });
  });

  it('changing the page size restarts at the first page and keeps odd sizes', async () => {
    const onChange = vi.fn();
    render(<Pagination offset={40} limit={7} total={100} onChange={onChange} />);
    expect(screen.getByRole('option', { name: '7' })).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText('Per page'), '50');
    expect(onChange).toHaveBeenCalledWith({ offset: 0, limit: 50 });
  });
});

import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import { ErrorState } from './ErrorState';

describe('ErrorState', () => {
  it('shows a title from the error code and the API message', () => {
    render(<ErrorState error={new ApiError({ status: 404, code: 'not_found', message: 'No such pattern.' })} />);
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Not found');
    expect(alert).toHaveTextContent('No such pattern.');
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });

  it('offers a retry', async () => {
    const onRetry = vi.fn();
    render(<ErrorState error={new Error('boom')} onRetry={onRetry} />);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(onRetry).toHaveBeenCalledOnce();
  });
});

import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ToastProvider, useToast } from './Toaster';

function Button() {
  const toast = useToast();
  return (
    <button type="button" onClick={() => toast({ title: 'Saved.' })}>
      Save
    </button>
  );
}

describe('Toaster', () => {
  it('shows a toast that can be dismissed', async () => {
    render(
      <ToastProvider>
        <Button />
      </ToastProvider>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findAllByText('Saved.')).not.toHaveLength(0);
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('button', { name: 'Dismiss' })).not.toBeInTheDocument();
  });

});

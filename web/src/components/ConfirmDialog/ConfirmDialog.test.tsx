import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmDialog } from './ConfirmDialog';

describe('ConfirmDialog', () => {
  it('is a labelled dialog that confirms and cancels', async () => {
    const onConfirm = vi.fn();
    const onOpenChange = vi.fn();
    render(
      <ConfirmDialog
        open
        onOpenChange={onOpenChange}
        title="Delete channel?"
        description="It disappears from reports."
        confirmLabel="Delete"
        tone="danger"
        onConfirm={onConfirm}
      />,
    );
    const dialog = screen.getByRole('dialog', { name: 'Delete channel?' });
    expect(dialog).toHaveAccessibleDescription('It disappears from reports.');
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(onConfirm).toHaveBeenCalledOnce();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onOpenChange).toHaveBeenCalledWith(false);
  });

  it('disables confirm while pending', () => {
    render(
      <ConfirmDialog open onOpenChange={() => {}} title="T" description="D" confirmLabel="Go" pending onConfirm={() => {}} />,
    );
    expect(screen.getByRole('button', { name: 'Working…' })).toBeDisabled();
  });
});

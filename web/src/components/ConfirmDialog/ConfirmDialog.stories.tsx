import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, fn, screen, waitFor } from 'storybook/test';
import { ConfirmDialog, type ConfirmDialogProps } from './ConfirmDialog';

function Harness(props: Omit<ConfirmDialogProps, 'open' | 'onOpenChange'>) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="btn btn-danger" onClick={() => setOpen(true)}>
        Delete pattern
      </button>
      <ConfirmDialog {...props} open={open} onOpenChange={setOpen} />
    </>
  );
}

const meta = {
  title: 'Overlays/ConfirmDialog',
  component: Harness,
  args: {
    title: 'Delete pattern 4?',
    description: 'The pattern stops matching visits from tonight’s run. You can reactivate it later.',
    confirmLabel: 'Delete',
    tone: 'danger',
    onConfirm: fn(),
  },
} satisfies Meta<typeof Harness>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Danger: Story = {
  play: async ({ canvas, userEvent, args }) => {
    const opener = canvas.getByRole('button', { name: 'Delete pattern' });
    await userEvent.click(opener);
    const dialog = await screen.findByRole('dialog', { name: 'Delete pattern 4?' });
    await expect(dialog).toBeVisible();
    // Destructive: Cancel has focus first.
    await expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    await expect(opener).toHaveFocus();
    await userEvent.click(opener);
    await userEvent.click(await screen.findByRole('button', { name: 'Delete' }));
    await expect(args.onConfirm).toHaveBeenCalledOnce();
  },
};

export const WithError: Story = {
  args: { error: 'You have no role on this account that allows deleting.' },
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Delete pattern' }));
    await expect(await screen.findByRole('alert')).toHaveTextContent('no role');
  },
};

export const Pending: Story = {
  args: { pending: true },
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Delete pattern' }));
    await expect(await screen.findByRole('button', { name: 'Working…' })).toBeDisabled();
  },
};

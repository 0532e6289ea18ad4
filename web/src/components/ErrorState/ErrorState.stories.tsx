import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn } from 'storybook/test';
import { ApiError } from '../../api/client';
import { ErrorState } from './ErrorState';

const meta = {
  title: 'Feedback/ErrorState',
  component: ErrorState,
  args: { onRetry: fn() },
} satisfies Meta<typeof ErrorState>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Forbidden: Story = {
  args: { error: new ApiError({ status: 403, code: 'forbidden', message: 'You have no role on this account.' }) },
  play: async ({ canvas, args, userEvent }) => {
    await expect(canvas.getByRole('alert')).toHaveTextContent('Not allowed');
    await userEvent.click(canvas.getByRole('button', { name: 'Try again' }));
    await expect(args.onRetry).toHaveBeenCalledOnce();
  },
};

export const Network: Story = {
  args: { error: new ApiError({ status: 0, code: 'network', message: 'Cannot reach the Cubed server. Check your connection and try again.' }) },
};

export const Internal: Story = {
  args: {
    error: new ApiError({ status: 500, code: 'internal', message: 'An internal error occurred.', requestId: 'b1c2d3' }),
    onRetry: undefined,
  },
};

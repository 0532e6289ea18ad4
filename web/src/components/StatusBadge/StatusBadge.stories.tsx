import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect } from 'storybook/test';
import { StatusBadge } from './StatusBadge';

const meta = {
  title: 'Feedback/StatusBadge',
  component: StatusBadge,
} satisfies Meta<typeof StatusBadge>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Success: Story = {
  args: { status: 'success' },
  play: async ({ canvas }) => {
    await expect(canvas.getByText('Success')).toHaveClass('status-ok');
  },
};

export const Broken: Story = {
  args: { status: 'broken' },
  play: async ({ canvas }) => {
    await expect(canvas.getByText('Broken')).toHaveClass('status-bad');
  },
};

export const WaitingWithLabel: Story = { args: { status: 'waiting', label: 'Waiting for sessionize' } };

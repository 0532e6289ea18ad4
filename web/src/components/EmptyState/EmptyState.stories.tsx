import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect } from 'storybook/test';
import { EmptyState } from './EmptyState';

const meta = {
  title: 'Feedback/EmptyState',
  component: EmptyState,
} satisfies Meta<typeof EmptyState>;
export default meta;
type Story = StoryObj<typeof meta>;

export const WithAction: Story = {
  args: {
    title: 'No patterns yet',
    children: 'Patterns assign visits to channels. Create the first one to start classifying traffic.',
    action: (
      <button type="button" className="btn btn-primary">
        New pattern
      </button>
    ),
  },
  play: async ({ canvas }) => {
    await expect(canvas.getByRole('heading', { name: 'No patterns yet' })).toBeVisible();
    await expect(canvas.getByRole('button', { name: 'New pattern' })).toBeVisible();
  },
};

export const NoMatches: Story = {
  args: { title: 'No patterns match “zzz”', children: 'Check the spelling or clear the filter.' },
};

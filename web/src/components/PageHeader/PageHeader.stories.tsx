import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect } from 'storybook/test';
import { PageHeader } from './PageHeader';

const meta = {
  title: 'Layout/PageHeader',
  component: PageHeader,
} satisfies Meta<typeof PageHeader>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Default: Story = {
  args: {
    title: 'Patterns',
    description: 'Rules that assign each visit to a channel.',
    actions: (
      <button type="button" className="btn btn-primary">
        New pattern
      </button>
    ),
    back: <a href="#config">← Configuration</a>,
  },
  play: async ({ canvas }) => {
    await expect(canvas.getByRole('heading', { level: 1, name: 'Patterns' })).toBeVisible();
  },
};

export const TitleOnly: Story = { args: { title: 'Tracking setup' } };

import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect } from 'storybook/test';
import { PathView } from './PathView';

const meta = {
  title: 'Data/PathView',
  component: PathView,
} satisfies Meta<typeof PathView>;
export default meta;
type Story = StoryObj<typeof meta>;

export const SalesByPath: Story = {
  args: {
    title: 'Sales by conversion path',
    metric: { label: 'Sales', type: 'integer' },
    locale: 'en-GB',
    rows: [
      { path: 'Direct', value: 410 },
      { path: 'SEO > Direct', value: 220 },
      { path: 'PPC > SEO > Direct', value: 120 },
      { path: 'Email > Direct', value: 50 },
    ],
  },
  play: async ({ canvas }) => {
    await expect(canvas.getByRole('list', { name: '3 steps: PPC, then SEO, then Direct' })).toBeVisible();
  },
};

export const Empty: Story = {
  args: { title: 'Sales by conversion path', metric: { label: 'Sales', type: 'integer' }, rows: [] },
};

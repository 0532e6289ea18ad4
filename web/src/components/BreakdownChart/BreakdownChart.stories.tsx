import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect } from 'storybook/test';
import { BreakdownChart } from './BreakdownChart';

const meta = {
  title: 'Data/BreakdownChart',
  component: BreakdownChart,
} satisfies Meta<typeof BreakdownChart>;
export default meta;
type Story = StoryObj<typeof meta>;

const channels = [
  ['Direct', 49404.86, 45210.1],
  ['SEO', 22280.1, 23990.5],
  ['PPC', 18012.4, 12040.0],
  ['Email', 6120.0, 7001.2],
  ['Social', 2410.75, 1990.0],
] as const;

export const RevenueByChannel: Story = {
  args: {
    title: 'Revenue by channel',
    metric: { label: 'Revenue', type: 'money' },
    currency: 'GBP',
    locale: 'en-GB',
    bars: channels.map(([label, value]) => ({ label, value })),
  },
  play: async ({ canvas }) => {
    await expect(canvas.getByRole('img', { name: 'Revenue by channel' })).toBeInTheDocument();
    await expect(canvas.getByText('Revenue in 5 groups; largest Direct with £49,404.86.')).toBeInTheDocument();
  },
};

export const WithComparison: Story = {
  args: {
    title: 'Revenue by channel vs previous period',
    metric: { label: 'Revenue', type: 'money' },
    currency: 'GBP',
    bars: channels.map(([label, value, compare]) => ({ label, value, compare })),
  },
};

export const Empty: Story = {
  args: { title: 'Visits by device', metric: { label: 'Visits', type: 'integer' }, bars: [] },
};

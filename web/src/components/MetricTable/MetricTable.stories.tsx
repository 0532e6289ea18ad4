import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, within } from 'storybook/test';
import { reportByChannel, reportCompare } from '../../mocks/fixtures';
import { MetricTable, type MetricColumn } from './MetricTable';

const metrics: MetricColumn[] = [
  { key: 'visits', label: 'Visits', type: 'integer' },
  { key: 'sales', label: 'Sales', type: 'integer' },
  { key: 'revenue', label: 'Revenue', type: 'money' },
  { key: 'conversion_rate', label: 'Conversion rate', type: 'percentage' },
  { key: 'aov', label: 'AOV', type: 'money' },
];

const meta = {
  title: 'Reports/MetricTable',
  component: MetricTable,
  args: {
    caption: 'Revenue by channel',
    dimensions: [{ key: 'channel', label: 'Channel', type: 'dict' }],
    metrics,
    rows: reportByChannel.objects,
    totals: reportByChannel.meta.totals,
    currency: 'GBP',
    locale: 'en-GB',
  },
} satisfies Meta<typeof MetricTable>;
export default meta;
type Story = StoryObj<typeof meta>;

export const WithTotals: Story = {
  play: async ({ canvas, userEvent }) => {
    const table = canvas.getByRole('table', { name: 'Revenue by channel' });
    const rows = within(table).getAllByRole('row');
    // header + 3 rows + totals
    await expect(rows).toHaveLength(5);
    await expect(rows[4]).toHaveTextContent('Total');
    await expect(rows[4]).toHaveTextContent('£520.00');
    await expect(rows[4]).toHaveTextContent('56.67%');
    await userEvent.click(canvas.getByRole('button', { name: /Revenue/ }));
    await expect(canvas.getByRole('columnheader', { name: /Revenue/ })).toHaveAttribute('aria-sort', 'descending');
    await expect(within(table).getAllByRole('row')[1]).toHaveTextContent('Direct');
    await userEvent.click(canvas.getByRole('button', { name: /AOV/ }));
    await expect(within(table).getAllByRole('row')[1]).toHaveTextContent('SEO');
  },
};

export const WithComparison: Story = {
  args: {
    caption: 'Sales by channel, compared with the previous period',
    metrics: [
      { key: 'sales', label: 'Sales', type: 'integer' },
      { key: 'revenue', label: 'Revenue', type: 'money' },
    ],
    rows: reportCompare.objects,
    totals: reportCompare.meta.totals,
  },
  play: async ({ canvas }) => {
    await expect(canvas.getAllByText('+37.5%')[0]).toHaveClass('change-good');
    await expect(canvas.getByText('-80%')).toHaveClass('change-bad');
  },
};

export const Empty: Story = { args: { rows: [], totals: undefined } };

export const Dollars: Story = { args: { currency: 'USD', locale: 'en-US' } };

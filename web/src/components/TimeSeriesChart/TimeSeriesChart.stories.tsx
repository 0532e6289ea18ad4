import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, waitFor } from 'storybook/test';
import { dailySeries } from '../../mocks/fixtures';
import { TimeSeriesChart } from './TimeSeriesChart';

const current = dailySeries('2024-02-16', 28, 1);
const previous = dailySeries('2024-01-19', 28, 4);

const meta = {
  title: 'Reports/TimeSeriesChart',
  component: TimeSeriesChart,
  args: {
    title: 'Revenue per day',
    metric: { label: 'Revenue', type: 'money' },
    series: current.map((d) => ({ date: d.date, value: d.revenue })),
    currency: 'GBP',
    locale: 'en-GB',
  },
} satisfies Meta<typeof TimeSeriesChart>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Revenue: Story = {
  play: async ({ canvas, canvasElement }) => {
    const img = canvas.getByRole('img', { name: 'Revenue per day' });
    // ECharts arrives lazily, then draws SVG.
    await waitFor(() => expect(canvasElement.querySelector('svg path')).not.toBeNull(), { timeout: 10_000 });
    await expect(img).toHaveAccessibleDescription(/Revenue from 2024-02-16 to 2024-03-14; highest £/);
  },
};

export const WithComparison: Story = {
  args: {
    title: 'Visits per day, compared with the previous period',
    metric: { label: 'Visits', type: 'integer' },
    series: current.map((d) => ({ date: d.date, value: d.visits })),
    compare: previous.map((d) => ({ date: d.date, value: d.visits })),
  },
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(canvasElement.querySelector('path[stroke-dasharray]')).not.toBeNull(), { timeout: 10_000 });
  },
};

export const Empty: Story = { args: { series: [] } };

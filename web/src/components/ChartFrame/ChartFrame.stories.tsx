import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, waitFor } from 'storybook/test';
import { baseOption, ChartFrame } from './ChartFrame';

const meta = {
  title: 'Reports/ChartFrame',
  component: ChartFrame,
  args: {
    title: 'Visits per weekday',
    description: 'Visits per weekday; highest 320 on Tuesday.',
    height: 220,
    option: {
      ...baseOption('Visits', false),
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'] },
      yAxis: { type: 'value' },
      series: [{ name: 'Visits', type: 'bar', data: [280, 320, 300, 260, 210] }],
    },
  },
} satisfies Meta<typeof ChartFrame>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Drawn: Story = {
  play: async ({ canvas, canvasElement }) => {
    const img = canvas.getByRole('img', { name: 'Visits per weekday' });
    await waitFor(() => expect(canvasElement.querySelector('svg path')).not.toBeNull(), { timeout: 10_000 });
    await expect(img).toHaveAccessibleDescription('Visits per weekday; highest 320 on Tuesday.');
  },
};

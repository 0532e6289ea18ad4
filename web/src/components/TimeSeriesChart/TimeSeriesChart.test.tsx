import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { describeSeries, TimeSeriesChart } from './TimeSeriesChart';

const setOption = vi.fn();
const dispose = vi.fn();
vi.mock('../ChartFrame/echarts', () => ({
  echarts: { init: () => ({ setOption, resize: () => {}, dispose }) },
}));

const series = [
  { date: '2024-01-01', value: 10 },
  { date: '2024-01-02', value: 30 },
  { date: '2024-01-03', value: null },
];

describe('TimeSeriesChart', () => {
  it('loads ECharts lazily and draws the comparison dashed', async () => {
    const { unmount } = render(
      <TimeSeriesChart
        title="Visits"
        metric={{ label: 'Visits', type: 'integer' }}
        series={series}
        compare={[{ date: '2023-12-29', value: 5 }]}
      />,
    );
    expect(screen.getByRole('status')).toHaveTextContent('Loading chart…');
    await waitFor(() => expect(setOption).toHaveBeenCalled());
    const option = setOption.mock.calls.at(-1)?.[0] as { series: Array<{ data: unknown[]; lineStyle: { type?: string } }> };
    expect(option.series).toHaveLength(2);
    expect(option.series[0]?.data).toEqual([10, 30, null]);
    expect(option.series[1]?.data).toEqual([5, null, null]);
    expect(option.series[1]?.lineStyle.type).toBe('dashed');
    expect(screen.getByRole('img', { name: 'Visits' })).toHaveAccessibleDescription('Visits from 2024-01-01 to 2024-01-03; highest 30 on 2024-01-02.');
    unmount();
    expect(dispose).toHaveBeenCalled();
  });

  it('describes empty data', () => {
    expect(describeSeries({ metric: { label: 'Revenue', type: 'money' }, series: [] })).toBe('Revenue: no data.');
  });
});

import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { baseOption, ChartFrame } from './ChartFrame';

const setOption = vi.fn();
const resize = vi.fn();
const dispose = vi.fn();
vi.mock('./echarts', () => ({
  echarts: { init: () => ({ setOption, resize, dispose }) },
}));

describe('ChartFrame', () => {
  it('loads ECharts lazily, draws the option anew on change and disposes the chart', async () => {
    const first = { series: [{ type: 'line', data: [1] }] };
    const { rerender, unmount } = render(<ChartFrame title="Visits" description="Visits: one day." option={first} height={200} />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading chart…');
    await waitFor(() => expect(setOption).toHaveBeenCalledWith(first, true));
    expect(resize).toHaveBeenCalled();
    const img = screen.getByRole('img', { name: 'Visits' });
    expect(img).toHaveAccessibleDescription('Visits: one day.');
    const second = { series: [{ type: 'line', data: [2] }] };
    rerender(<ChartFrame title="Visits" description="Visits: one day." option={second} height={200} />);
    await waitFor(() => expect(setOption).toHaveBeenLastCalledWith(second, true));
    unmount();
    expect(dispose).toHaveBeenCalled();
  });
});

describe('baseOption', () => {
  it('adds a legend only for a comparison', () => {
    expect(baseOption('Visits', false)).toEqual({ animation: false, aria: { enabled: true }, legend: undefined, color: ['#2f4fd8', '#8a94a6'] });
    expect(baseOption('Visits', true).legend).toEqual({ top: 0, left: 0, data: ['Visits', 'Visits (comparison)'] });
  });
});

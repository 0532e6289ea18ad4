import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, fn, screen } from 'storybook/test';
import { presetRange, type PeriodState } from '../../lib/dateRange';
import { DateRangePicker } from './DateRangePicker';

const today = '2024-03-15';

function Harness({ initial, onChange }: { initial: PeriodState; onChange: (p: PeriodState) => void }) {
  const [value, setValue] = useState(initial);
  return (
    <DateRangePicker
      value={value}
      today={today}
      locale="en-GB"
      onChange={(p) => {
        onChange(p);
        setValue(p);
      }}
    />
  );
}

const meta = {
  title: 'Reports/DateRangePicker',
  component: Harness,
  args: {
    initial: { preset: 'last_28_days', range: presetRange('last_28_days', today), compare: 'none' },
    onChange: fn(),
  },
} satisfies Meta<typeof Harness>;
export default meta;
type Story = StoryObj<typeof meta>;

export const ChoosePresetAndComparison: Story = {
  play: async ({ canvas, userEvent, args }) => {
    const trigger = canvas.getByRole('button', { name: /Report period: Last 28 days/ });
    await userEvent.click(trigger);
    const dialog = await screen.findByRole('dialog', { name: 'Choose the report period' });
    await expect(dialog).toBeVisible();
    await userEvent.click(screen.getByRole('radio', { name: 'Last 7 days' }));
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Compare with' }), 'previous_period');
    await expect(screen.getByText('1 Mar – 7 Mar 2024')).toBeVisible();
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await expect(args.onChange).toHaveBeenCalledWith({
      preset: 'last_7_days',
      range: { from: '2024-03-08', to: '2024-03-14' },
      compare: 'previous_period',
    });
    await expect(trigger).toHaveTextContent('vs 1 Mar – 7 Mar 2024');
    await expect(trigger).toHaveFocus();
  },
};

export const CustomRangeValidation: Story = {
  play: async ({ canvas, userEvent, args }) => {
    await userEvent.click(canvas.getByRole('button', { name: /Report period/ }));
    const from = await screen.findByLabelText('From');
    await userEvent.clear(from);
    await userEvent.type(from, '2024-03-20');
    await expect(screen.getByRole('radio', { name: 'Custom range' })).toBeChecked();
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await expect(screen.getByRole('alert')).toHaveTextContent('start date must be on or before');
    await expect(args.onChange).not.toHaveBeenCalled();
  },
};

export const WithComparison: Story = {
  args: {
    initial: { preset: 'custom', range: { from: '2024-02-01', to: '2024-02-29' }, compare: 'previous_year' },
  },
};

import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, fn, screen, waitFor, within } from 'storybook/test';
import { ValueFilter, type ValueFilterProps } from './ValueFilter';

const channels = ['Direct', 'SEO', 'PPC', 'Paid Social', 'Organic Social', 'Email', 'Affiliate', 'Display', 'Referral', 'Offline'].map(
  (label, i) => ({ value: String(i + 1), label }),
);

/** Keeps the selection, as the page does through the URL. */
function Harness({ onChange, selected: initial, ...rest }: ValueFilterProps) {
  const [selected, setSelected] = useState(initial);
  return (
    <ValueFilter
      {...rest}
      selected={selected}
      onChange={(v) => {
        onChange(v);
        setSelected(v);
      }}
    />
  );
}

const meta = {
  title: 'Reports/ValueFilter',
  component: Harness,
  args: { label: 'Channel', options: channels, selected: [], onChange: fn() },
} satisfies Meta<typeof Harness>;
export default meta;
type Story = StoryObj<typeof meta>;

export const PickByName: Story = {
  play: async ({ canvas, userEvent, args }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Filter by Channel' }));
    const dialog = await screen.findByRole('dialog', { name: 'Filter by Channel' });
    await userEvent.type(within(dialog).getByRole('searchbox', { name: 'Find a channel' }), 'social');
    await waitFor(() => expect(within(dialog).getAllByRole('checkbox')).toHaveLength(2));
    await userEvent.click(within(dialog).getByRole('checkbox', { name: 'Paid Social' }));
    await expect(args.onChange).toHaveBeenLastCalledWith(['4']);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Done' }));
    await expect(canvas.getByRole('button', { name: 'Remove Channel filter: Paid Social' })).toBeVisible();
  },
};

export const WithChips: Story = {
  args: { selected: ['1', '6'] },
  play: async ({ canvas, userEvent, args }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Remove Channel filter: Direct' }));
    await expect(args.onChange).toHaveBeenLastCalledWith(['6']);
    await expect(canvas.getByRole('button', { name: 'Remove Channel filter: Email' })).toHaveFocus();
  },
};

export const Loading: Story = { args: { options: [], loading: true, selected: ['3'] } };

export const LoadFailed: Story = { args: { options: [], error: 'Could not load the channels.' } };

import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, waitFor } from 'storybook/test';
import { FilterBox } from './FilterBox';

const meta = {
  title: 'Forms/FilterBox',
  component: FilterBox,
  args: { label: 'Filter by pattern', value: '', onChange: fn(), placeholder: 'e.g. google' },
} satisfies Meta<typeof FilterBox>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Typing: Story = {
  play: async ({ canvas, userEvent, args }) => {
    const box = canvas.getByRole('searchbox', { name: 'Filter by pattern' });
    await userEvent.type(box, 'site0');
    await waitFor(() => expect(args.onChange).toHaveBeenLastCalledWith('site0'));
    await userEvent.keyboard('{Escape}');
    await expect(box).toHaveValue('');
    await expect(args.onChange).toHaveBeenLastCalledWith('');
  },
};

export const WithValue: Story = { args: { value: 'example' } };

import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, screen } from 'storybook/test';
import { me } from '../../mocks/fixtures';
import { AccountSwitcher } from './AccountSwitcher';

const [first, second] = me.accounts;
if (!first || !second) throw new Error('fixtures need two accounts');

const meta = {
  title: 'Navigation/AccountSwitcher',
  component: AccountSwitcher,
  args: { accounts: me.accounts, current: first, onSelect: fn() },
} satisfies Meta<typeof AccountSwitcher>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Several: Story = {
  play: async ({ canvas, userEvent, args }) => {
    const trigger = canvas.getByRole('button', { name: /Account: demo/ });
    trigger.focus();
    await userEvent.keyboard('{Enter}');
    const menu = await screen.findByRole('menu');
    await expect(menu).toBeVisible();
    await expect(screen.getByRole('menuitemradio', { name: /demo/ })).toHaveAttribute('aria-checked', 'true');
    await userEvent.keyboard('{ArrowDown}');
    await userEvent.keyboard('{Enter}');
    await expect(args.onSelect).toHaveBeenCalledWith(second.token);
  },
};

export const Single: Story = {
  args: { accounts: [first] },
  play: async ({ canvas }) => {
    await expect(canvas.queryByRole('button')).not.toBeInTheDocument();
    await expect(canvas.getByText('demo')).toBeVisible();
  },
};

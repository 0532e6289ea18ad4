import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, screen } from 'storybook/test';
import { me } from '../../mocks/fixtures';
import { AppShell } from './AppShell';

const account = me.accounts[0]!;

const meta = {
  title: 'Layout/AppShell',
  component: AppShell,
  parameters: { layout: 'fullscreen', router: { initialEntries: ['/a/c-a-demo-gb/config'] } },
  args: {
    me,
    account,
    onSwitchAccount: fn(),
    onLogout: fn(),
    children: (
      <>
        <h1>Configuration</h1>
        <p>Page content goes here.</p>
      </>
    ),
  },
} satisfies Meta<typeof AppShell>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Desktop: Story = {
  play: async ({ canvas, userEvent, args }) => {
    const nav = canvas.getByRole('navigation', { name: 'Main' });
    await expect(nav).toBeVisible();
    await expect(canvas.getByRole('link', { name: 'Configuration' })).toHaveAttribute('aria-current', 'page');
    await userEvent.click(canvas.getByRole('button', { name: /User menu/ }));
    await userEvent.click(await screen.findByRole('menuitem', { name: 'Log out' }));
    await expect(args.onLogout).toHaveBeenCalledOnce();
  },
};

export const Mobile: Story = {
  globals: { viewport: { value: 'mobile1' } },
  play: async ({ canvas }) => {
    await expect(canvas.getByRole('button', { name: /Account: demo/ })).toBeVisible();
  },
};

export const SingleAccount: Story = {
  args: { me: { ...me, accounts: [account] } },
};

import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { me } from '../../mocks/fixtures';
import { renderWithRouter } from '../../test/render';
import { AppShell } from './AppShell';

const account = me.accounts[0]!;

describe('AppShell', () => {
  it('links every section under the current account', () => {
    renderWithRouter(
      <AppShell me={me} account={account} onSwitchAccount={() => {}} onLogout={() => {}}>
        <h1>Page</h1>
      </AppShell>,
      { path: '/a/:token/*', initialEntries: ['/a/c-a-demo-gb/tracking'] },
    );
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const links = within(nav).getAllByRole('link');
    expect(links.map((l) => l.getAttribute('href'))).toEqual([
      '/a/c-a-demo-gb/reports',
      '/a/c-a-demo-gb/config',
      '/a/c-a-demo-gb/tracking',
      '/a/c-a-demo-gb/integrations',
      '/a/c-a-demo-gb/conductor',
    ]);
    expect(within(nav).getByRole('link', { name: 'Tracking' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByRole('link', { name: 'Skip to content' })).toHaveAttribute('href', '#main');
    expect(screen.getByRole('main')).toHaveAttribute('id', 'main');
  });

  it('logs out from the user menu', async () => {
    const onLogout = vi.fn();
    renderWithRouter(
      <AppShell me={me} account={account} onSwitchAccount={() => {}} onLogout={onLogout}>
        <p>x</p>
      </AppShell>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'User menu: Demo User' }));
    await userEvent.click(await screen.findByRole('menuitem', { name: 'Log out' }));
    expect(onLogout).toHaveBeenCalledOnce();
  });
});

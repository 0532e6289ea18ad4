import * as Menu from '@radix-ui/react-dropdown-menu';
import { useEffect, useRef, type ReactNode } from 'react';
import { NavLink, useLocation } from 'react-router';
import type { Me, MeAccount } from '../../api/types';
import { AccountSwitcher } from '../AccountSwitcher/AccountSwitcher';
import './AppShell.css';

export interface AppShellProps {
  me: Me;
  account: MeAccount;
  onSwitchAccount: (token: string) => void;
  onLogout: () => void;
  children: ReactNode;
}

export const NAV_ITEMS: ReadonlyArray<{ to: string; label: string }> = [
  { to: 'reports', label: 'Reports' },
  { to: 'config', label: 'Configuration' },
  { to: 'tracking', label: 'Tracking' },
  { to: 'integrations', label: 'Integrations' },
  { to: 'conductor', label: 'Conductor' },
];

/**
 * The frame of every signed-in page: a skip link, the header with the
 * account switcher and the user menu, the main navigation and the page.
 * After each navigation focus moves to the main region, so keyboard and
 * screen-reader users start at the new page's content.
 */
export function AppShell({ me, account, onSwitchAccount, onLogout, children }: AppShellProps) {
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: false });
  }, [location.pathname]);

  const base = `/a/${encodeURIComponent(account.token)}`;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="shell-header">
        <NavLink to={`${base}/config`} className="shell-brand" aria-label="Cubed home">
          <span aria-hidden="true" className="shell-logo">
            ◆
          </span>
          Cubed
        </NavLink>
        <div className="shell-account">
          <AccountSwitcher accounts={me.accounts} current={account} onSelect={onSwitchAccount} />
        </div>
        <Menu.Root>
          <Menu.Trigger className="btn shell-user">
            <span className="visually-hidden">User menu:</span>{' '}
            <span aria-hidden="true" className="shell-avatar">
              {(me.name || me.email).charAt(0).toUpperCase()}
            </span>
            <span className="shell-user-name">{me.name || me.email}</span>
          </Menu.Trigger>
          <Menu.Portal>
            <Menu.Content className="menu-content" align="end" sideOffset={6}>
              <Menu.Label className="menu-label">
                Signed in as <strong>{me.email}</strong>
              </Menu.Label>
              <Menu.Separator style={{ height: 1, background: 'var(--border)', margin: '0.25rem 0' }} />
              <Menu.Item className="menu-item" onSelect={onLogout}>
                Log out
              </Menu.Item>
            </Menu.Content>
          </Menu.Portal>
        </Menu.Root>
      </header>
      <nav className="shell-nav" aria-label="Main">
        <ul>
          {NAV_ITEMS.map((item) => (
            <li key={item.to}>
              <NavLink to={`${base}/${item.to}`}>{item.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} className="shell-main">
        {children}
      </main>
    </div>
  );
}

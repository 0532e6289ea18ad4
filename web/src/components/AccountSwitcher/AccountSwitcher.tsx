import * as Menu from '@radix-ui/react-dropdown-menu';
import type { MeAccount } from '../../api/types';
import './AccountSwitcher.css';

export interface AccountSwitcherProps {
  accounts: MeAccount[];
  current: MeAccount;
  /** Called with the chosen account's token. */
  onSelect: (token: string) => void;
}

/**
 * The current account and, when the user has several, a menu to switch
 * (Radix DropdownMenu: arrow keys, typeahead, Escape). Only accounts from
 * `me.accounts` are offered.
 */
export function AccountSwitcher({ accounts, current, onSelect }: AccountSwitcherProps) {
  if (accounts.length <= 1) {
    return (
      <div className="account-switcher account-switcher-single">
        <span className="visually-hidden">Account:</span> <span className="account-name">{current.name}</span>{' '}
        <span className="account-token muted">{current.token}</span>
      </div>
    );
  }
  return (
    <Menu.Root>
      <Menu.Trigger className="btn account-switcher" title="Switch account">
        <span className="visually-hidden">Account:</span> <span className="account-name">{current.name}</span>{' '}
        <span className="account-token muted">{current.token}</span>
        <span aria-hidden="true">▾</span>
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content className="menu-content" align="start" sideOffset={6}>
          <Menu.Label className="menu-label">Switch account</Menu.Label>
          <Menu.RadioGroup value={current.token} onValueChange={onSelect}>
            {accounts.map((a) => (
              <Menu.RadioItem key={a.token} value={a.token} className="menu-item account-item">
                <Menu.ItemIndicator className="account-check">✓</Menu.ItemIndicator>
                <span className="account-item-text">
                  <span className="account-name">{a.name}</span>
                  <span className="account-token muted">
                    {a.token} · {a.role}
                  </span>
                </span>
              </Menu.RadioItem>
            ))}
          </Menu.RadioGroup>
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}

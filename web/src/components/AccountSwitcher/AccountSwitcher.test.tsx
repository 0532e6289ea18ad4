import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { me } from '../../mocks/fixtures';
import { AccountSwitcher } from './AccountSwitcher';

const accounts = me.accounts;
const current = accounts[0]!;

describe('AccountSwitcher', () => {
  it('lists only the given accounts and reports the choice', async () => {
    const onSelect = vi.fn();
    render(<AccountSwitcher accounts={accounts} current={current} onSelect={onSelect} />);
    await userEvent.click(screen.getByRole('button', { name: /Account: demo/ }));
    const items = await screen.findAllByRole('menuitemradio');
    expect(items).toHaveLength(3);
    await userEvent.click(screen.getByRole('menuitemradio', { name: /shop/ }));
    expect(onSelect).toHaveBeenCalledWith('c-a-shop-us');
  });

  it('shows a plain label for a single account', () => {
    render(<AccountSwitcher accounts={[current]} current={current} onSelect={() => {}} />);
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
    expect(screen.getByText('c-a-demo-gb')).toBeInTheDocument();
  });
});

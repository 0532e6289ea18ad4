import { createContext, useContext } from 'react';
import type { Me, MeAccount } from '../../api/types';

export interface AccountContextValue {
  me: Me;
  account: MeAccount;
}

export const AccountContext = createContext<AccountContextValue | null>(null);

/** The signed-in user and the account in the URL; only inside AccountLayout. */
export function useAccount(): AccountContextValue {
  const v = useContext(AccountContext);
  if (!v) throw new Error('useAccount must be used inside an account route');
  return v;
}

export function canWrite(account: { role: string }): boolean {
  return account.role === 'editor' || account.role === 'admin';
}

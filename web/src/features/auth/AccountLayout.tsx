import { Link, Navigate, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { useLogout, useMe } from '../../api/hooks';
import { AppShell } from '../../components/AppShell/AppShell';
import { EmptyState } from '../../components/EmptyState/EmptyState';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { accountBase, switchAccountPath } from '../../lib/accountPath';
import { AccountContext } from './AccountContext';

/**
 * Every /a/:token/… page: needs a session (else → /login?next=…) and an
 * account from me.accounts (else a "no access" page).
 */
export function AccountLayout() {
  const { token = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const logout = useLogout();

  if (me.isPending) return <LoadingState label="Loading your account…" />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  if (me.data === null) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  const account = me.data.accounts.find((a) => a.token === token);
  const onLogout = () => logout.mutate(undefined, { onSettled: () => void navigate('/login', { replace: true }) });
  if (!account) {
    return (
      <main id="main" className="shell-main">
        <EmptyState
          title="You have no access to this account"
          action={
            me.data.accounts[0] ? (
              <Link className="btn btn-primary" to={accountBase(me.data.accounts[0].token)}>
                Go to {me.data.accounts[0].name}
              </Link>
            ) : undefined
          }
        >
          The account “{token}” does not exist or you are not a member of it. Ask an admin of the account to add you.
        </EmptyState>
      </main>
    );
  }
  return (
    <AccountContext.Provider value={{ me: me.data, account }}>
      <AppShell
        me={me.data}
        account={account}
        onSwitchAccount={(t) => void navigate(switchAccountPath(location.pathname, t))}
        onLogout={onLogout}
      >
        <Outlet />
      </AppShell>
    </AccountContext.Provider>
  );
}

/** `/`: to the first account, or to the login page. */
export function HomeRedirect() {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  if (me.isPending) return <LoadingState label="Loading…" />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  if (me.data === null) return <Navigate to="/login" replace />;
  const first = me.data.accounts[0];
  if (first) return <Navigate to={`${accountBase(first.token)}/config`} replace />;
  return (
    <main id="main" className="shell-main">
      <EmptyState
        title="No accounts yet"
        action={
          <button
            type="button"
            className="btn"
            onClick={() => logout.mutate(undefined, { onSettled: () => void navigate('/login', { replace: true }) })}
          >
            Log out
          </button>
        }
      >
        You are signed in as {me.data.email}, but you are not a member of any account. Ask an admin to add you to one.
      </EmptyState>
    </main>
  );
}

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { describeError, isApiError } from '../../api/client';
import { useLogin, useMe } from '../../api/hooks';
import { FormField } from '../../components/FormField/FormField';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { accountBase, safeNext } from '../../lib/accountPath';
import './LoginPage.css';

function loginErrorText(error: unknown): string {
  if (isApiError(error) && error.code === 'throttled') {
    return `Too many failed attempts for this email or network. ${describeError(error).replace(/^Too many attempts\. /, '')}`;
  }
  if (isApiError(error) && error.code === 'unauthenticated') return 'Unknown email or wrong password.';
  return describeError(error);
}

/** Email and password; API errors (wrong password, throttling) shown in an alert. */
export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const me = useMe();
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState<{ email?: string[]; password?: string[] }>({});
  const alertRef = useRef<HTMLDivElement>(null);
  const next = safeNext(params.get('next'));

  useEffect(() => {
    if (login.isError) alertRef.current?.focus();
  }, [login.isError, login.failureCount, login.submittedAt]);

  if (me.isPending) return <LoadingState label="Loading…" />;
  if (me.data && !login.isPending) {
    const first = me.data.accounts[0];
    return <Navigate to={next ?? (first ? `${accountBase(first.token)}/config` : '/')} replace />;
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const m: typeof missing = {};
    if (!email.trim()) m.email = ['Enter your email address.'];
    if (!password) m.password = ['Enter your password.'];
    setMissing(m);
    if (m.email || m.password) return;
    login.mutate(
      { email: email.trim(), password },
      {
        onSuccess: (user) => {
          const first = user.accounts[0];
          void navigate(next ?? (first ? `${accountBase(first.token)}/config` : '/'), { replace: true });
        },
        onError: () => setPassword(''),
      },
    );
  };

  return (
    <main id="main" className="login-page">
      <div className="login-card">
        <p className="login-brand">
          <span aria-hidden="true">◆</span> Cubed
        </p>
        <h1>Log in</h1>
        {params.get('next') && !login.isError && <p className="muted">Log in to continue.</p>}
        {login.isError && (
          <div className="alert alert-error" role="alert" tabIndex={-1} ref={alertRef}>
            {loginErrorText(login.error)}
          </div>
        )}
        <form onSubmit={submit} noValidate>
          <FormField label="Email" errors={missing.email} required>
            {(p) => (
              <input
                {...p}
                className="input"
                type="email"
                name="email"
                autoComplete="username"
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            )}
          </FormField>
          <FormField label="Password" errors={missing.password} required>
            {(p) => (
              <input
                {...p}
                className="input"
                type="password"
                name="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </FormField>
          <button type="submit" className="btn btn-primary login-submit" disabled={login.isPending}>
            {login.isPending ? 'Logging in…' : 'Log in'}
          </button>
        </form>
      </div>
    </main>
  );
}

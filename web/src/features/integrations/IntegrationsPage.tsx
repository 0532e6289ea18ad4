import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { apiFetch, describeError } from '../../api/client';
import { paths } from '../../api/paths';
import { useDeleteResource, useResourceList } from '../../api/hooks';
import type { components } from '../../api/openapi.gen';
import { ConfirmDialog } from '../../components/ConfirmDialog/ConfirmDialog';
import { EmptyState } from '../../components/EmptyState/EmptyState';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { StatusBadge } from '../../components/StatusBadge/StatusBadge';
import { formatApiDateTime } from '../../lib/format';
import { useAccount } from '../auth/AccountContext';

type Connection = components['schemas']['connection'];
export type Provider = Connection['provider'];

export const PROVIDERS: ReadonlyArray<{ id: Provider; label: string; imports: string }> = [
  { id: 'google', label: 'Google', imports: 'Google Ads costs and Search Console keywords' },
  { id: 'microsoft_ads', label: 'Microsoft Advertising', imports: 'Microsoft Ads costs' },
  { id: 'meta_ads', label: 'Meta', imports: 'Meta Ads costs' },
];

/** The server's OAuth2 connect view (docs/integrations.md): a full-page navigation. */
export function connectUrl(provider: string, account: string): string {
  return `/integrations/${encodeURIComponent(provider)}/connect?account=${encodeURIComponent(account)}`;
}

/** Connections to ad platforms: status (broken ones say why), connect, disconnect. */
export function IntegrationsPage() {
  const { account } = useAccount();
  const list = useResourceList('connection', new URLSearchParams({ account: account.token, limit: '100' }));
  const remove = useDeleteResource('connection', account.token);
  const [confirm, setConfirm] = useState<Connection | null>(null);
  const isAdmin = account.role === 'admin';
  const canConnect = account.role === 'admin' || account.role === 'editor';
  const [params, setParams] = useSearchParams();
  const pick = params.get('pick');
  const rows = (list.data?.objects ?? []) as unknown as Connection[];

  return (
    <>
      <PageHeader
        title="Integrations"
        description="Connections to ad platforms. Cubed imports costs and keywords nightly through them."
      />
      <section aria-labelledby="connect-title" className="card">
        <h2 id="connect-title">Connect a provider</h2>
        <ul className="integrations-providers">
          {PROVIDERS.map((p) => (
            <li key={p.id}>
              <a className="btn btn-primary" href={connectUrl(p.id, account.token)} aria-disabled={!canConnect || undefined}>
                Connect {p.label}
              </a>{' '}
              <span className="muted">{p.imports}</span>
            </li>
          ))}
        </ul>
        {!canConnect && <p className="muted">Only editors and admins of this account can connect providers.</p>}
      </section>
      <ConnectOutcome params={params} onDismiss={() => setParams(new URLSearchParams())} />
      {pick && <PickAccount connection={pick} account={account.token} onDone={() => setParams(new URLSearchParams())} />}
      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.isPending ? (
        <LoadingState label="Loading connections…" />
      ) : rows.length === 0 ? (
        <EmptyState title="No connections yet">Connect a provider above to import its costs.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption>Connections</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Provider</th>
                <th scope="col">Account id</th>
                <th scope="col">Status</th>
                <th scope="col">Updated</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{PROVIDERS.find((p) => p.id === c.provider)?.label ?? c.provider}</td>
                  <td>
                    <code>{c.external_account_id}</code>
                  </td>
                  <td>
                    <StatusBadge status={c.status} />
                    {c.status_detail && <div className="muted">{c.status_detail}</div>}
                  </td>
                  <td>{c.updated ? formatApiDateTime(c.updated) : ''}</td>
                  <td>
                    {c.status === 'broken' && canConnect && (
                      <a className="btn btn-small" href={connectUrl(c.provider, account.token)}>
                        Reconnect{' '}
                        <span className="visually-hidden">{c.name}</span>
                      </a>
                    )}{' '}
                    {isAdmin && c.status !== 'disconnected' && (
                      <button type="button" className="btn btn-small btn-danger" onClick={() => setConfirm(c)}>
                        Disconnect{' '}
                        <span className="visually-hidden">{c.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={confirm !== null}
        onOpenChange={(open) => {
          if (!open) {
            setConfirm(null);
            remove.reset();
          }
        }}
        title={`Disconnect ${confirm?.name ?? ''}?`}
        description="Cubed stops importing from this connection and revokes its grant at the provider on the next import run. Data already imported stays."
        confirmLabel="Disconnect"
        tone="danger"
        pending={remove.isPending}
        error={remove.isError ? describeError(remove.error) : undefined}
        onConfirm={() => {
          if (confirm) remove.mutate(String(confirm.id), { onSuccess: () => setConfirm(null) });
        }}
      />
    </>
  );
}

const CONNECT_ERRORS: Record<string, string> = {
  denied: 'The provider’s consent was refused. Nothing was stored.',
  no_code: 'The provider sent no authorisation code. Try connecting again.',
  exchange_failed: 'The provider refused the authorisation code. Try connecting again.',
  list_failed: 'Cubed could not list the ad accounts of this grant. Try again later.',
  no_accounts: 'This login has no ad accounts to report on. Nothing was stored.',
};

/** What the connect flow's callback said (docs/integrations.md §4): connected=, pick= or error=. */
export function connectOutcome(params: URLSearchParams): { tone: 'ok' | 'error'; text: string } | null {
  const provider = PROVIDERS.find((p) => p.id === params.get('provider'))?.label ?? params.get('provider') ?? 'The provider';
  const error = params.get('error');
  if (error) return { tone: 'error', text: `${provider}: ${CONNECT_ERRORS[error] ?? `connecting failed (${error}).`}` };
  if (params.get('connected')) return { tone: 'ok', text: `${provider} is connected.` };
  if (params.get('pick')) return { tone: 'ok', text: `${provider} is connected: choose the ad account to import.` };
  return null;
}

function ConnectOutcome({ params, onDismiss }: { params: URLSearchParams; onDismiss: () => void }) {
  const o = connectOutcome(params);
  if (!o) return null;
  return (
    <div className={`card connect-outcome connect-${o.tone}`} role={o.tone === 'error' ? 'alert' : 'status'}>
      {o.text}{' '}
      <button type="button" className="btn btn-small" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

interface Choices {
  accounts: Array<{ id: string; name: string; currency?: string }>;
  sites: Array<{ url: string; permission?: string }>;
}

function PickAccount({ connection, account, onDone }: { connection: string; account: string; onDone: () => void }) {
  const ids = useId();
  const qc = useQueryClient();
  const choices = useQuery({
    queryKey: ['connection-choices', connection],
    queryFn: ({ signal }) => apiFetch<Choices>(`${paths.detail('connection', connection)}choices/`, { query: { account }, signal }),
  });
  const [ext, setExt] = useState('');
  const [site, setSite] = useState('');
  const select = useMutation({
    mutationFn: (body: { external_account_id: string; site_url?: string }) =>
      apiFetch(`${paths.detail('connection', connection)}select/`, { method: 'POST', query: { account }, body }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['list', 'connection'] });
      onDone();
    },
  });
  if (choices.isPending) return <LoadingState label="Loading the ad accounts of this grant…" />;
  if (choices.isError) return <ErrorState error={choices.error} onRetry={() => void choices.refetch()} />;
  const accounts = choices.data.accounts;
  const sites = choices.data.sites;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    select.mutate({ external_account_id: ext || (accounts[0]?.id ?? ''), ...(sites.length > 0 ? { site_url: site || (sites[0]?.url ?? '') } : {}) });
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby={`${ids}-t`}>
      <h2 id={`${ids}-t`}>Choose what to import</h2>
      <label htmlFor={`${ids}-acc`}>Ad account</label>
      <select id={`${ids}-acc`} className="select" value={ext || (accounts[0]?.id ?? '')} onChange={(e) => setExt(e.target.value)}>
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name} ({a.id}{a.currency ? `, ${a.currency}` : ''})
          </option>
        ))}
      </select>
      {sites.length > 0 && (
        <>
          <label htmlFor={`${ids}-site`}>Search Console property</label>
          <select id={`${ids}-site`} className="select" value={site || (sites[0]?.url ?? '')} onChange={(e) => setSite(e.target.value)}>
            {sites.map((x) => (
              <option key={x.url} value={x.url}>
                {x.url}
              </option>
            ))}
          </select>
        </>
      )}
      {select.isError && <p role="alert">{describeError(select.error)}</p>}
      <p>
        <button type="submit" className="btn btn-primary" disabled={select.isPending}>
          Use this account
        </button>
      </p>
    </form>
  );
}

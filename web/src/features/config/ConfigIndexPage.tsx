import { Link } from 'react-router';
import { useApiRoot } from '../../api/hooks';
import { CONTROL_RESOURCES, isReportResource } from '../../api/paths';
import { EmptyState } from '../../components/EmptyState/EmptyState';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { accountBase, plural } from '../../lib/accountPath';
import { humanize, labelize } from '../../lib/format';
import { useAccount } from '../auth/AccountContext';
import './config.css';

/** Every model resource the API offers (from GET /api/v1/), grouped. */
export function ConfigIndexPage() {
  const { account } = useAccount();
  const root = useApiRoot();
  if (root.isPending) return <LoadingState label="Loading configuration…" />;
  if (root.isError) return <ErrorState error={root.error} onRetry={() => void root.refetch()} />;
  const names = Object.keys(root.data)
    .filter((n) => !isReportResource(n))
    .sort();
  const groups = [
    { title: 'This account', items: names.filter((n) => !CONTROL_RESOURCES.has(n)) },
    { title: 'Access and administration', items: names.filter((n) => CONTROL_RESOURCES.has(n)) },
  ].filter((g) => g.items.length > 0);
  return (
    <>
      <PageHeader title="Configuration" description={`Settings of ${account.name}: choose what to view or change.`} />
      {groups.length === 0 ? (
        <EmptyState title="Nothing to configure yet">This server offers no configuration resources yet.</EmptyState>
      ) : (
        groups.map((g) => (
          <section key={g.title} className="config-group" aria-labelledby={`group-${g.title}`}>
            <h2 id={`group-${g.title}`}>{g.title}</h2>
            <ul className="config-links">
              {g.items.map((n) => (
                <li key={n}>
                  <Link to={`${accountBase(account.token)}/config/${encodeURIComponent(n)}`}>{labelize(plural(humanize(n)))}</Link>
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
    </>
  );
}

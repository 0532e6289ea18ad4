import { Navigate, NavLink, Outlet, useSearchParams } from 'react-router';
import { useApiRoot } from '../../api/hooks';
import { EmptyState } from '../../components/EmptyState/EmptyState';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { humanize } from '../../lib/format';
import { useAccount } from '../auth/AccountContext';
import { legacyReportTarget, reportNames, reportPath, sharedReportParams } from './reportQuery';
import './reports.css';

export function reportTitle(name: string): string {
  return humanize(name.replace(/^report-/, ''));
}

/**
 * /a/:token/reports/…: the catalogue (from GET /api/v1/, §2) as a list of
 * links, one route per report beside it. Links keep the period and the
 * comparison, so moving between reports keeps the dates.
 */
export function ReportsLayout() {
  const { account } = useAccount();
  const [params] = useSearchParams();
  const root = useApiRoot();
  if (root.isPending) return <LoadingState label="Loading reports…" />;
  if (root.isError) return <ErrorState error={root.error} onRetry={() => void root.refetch()} />;
  const names = reportNames(root.data);
  const keep = sharedReportParams(params).toString();
  return (
    <div className="reports-layout">
      <nav className="reports-nav" aria-label="Reports">
        <h2 className="reports-nav-title">Reports</h2>
        <ul>
          {names.map((n) => (
            <li key={n}>
              <NavLink to={reportPath(account.token, n, keep)}>{reportTitle(n)}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <div className="reports-body">
        <Outlet />
      </div>
    </div>
  );
}

/**
 * /a/:token/reports: old links (`?report=<name>&…`) go to the report's own
 * route with their state; otherwise the first report opens.
 */
export function ReportsIndex() {
  const { account } = useAccount();
  const [params] = useSearchParams();
  const root = useApiRoot();
  const legacy = legacyReportTarget(account.token, params);
  if (legacy) return <Navigate to={legacy} replace />;
  const first = root.data ? reportNames(root.data)[0] : undefined;
  if (first) return <Navigate to={reportPath(account.token, first, params.toString())} replace />;
  return (
    <>
      <PageHeader title="Reports" />
      <EmptyState title="No reports yet">
        This server publishes no report resources yet. Reports appear here once the aggregate tables are built.
      </EmptyState>
    </>
  );
}


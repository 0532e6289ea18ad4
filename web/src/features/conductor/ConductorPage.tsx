import { useApiRoot } from '../../api/hooks';
import { EmptyState } from '../../components/EmptyState/EmptyState';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { ResourceListPage } from '../config/ResourceListPage';

export const COMMAND_RUN = 'command-run';

/** Conductor's runs for the account (the command-run resource), read-only. */
export function ConductorPage() {
  const root = useApiRoot();
  if (root.isPending) return <LoadingState />;
  if (root.isError) return <ErrorState error={root.error} onRetry={() => void root.refetch()} />;
  if (!(COMMAND_RUN in root.data)) {
    return (
      <>
        <PageHeader title="Conductor" />
        <EmptyState title="Conductor is not available yet">
          This server does not publish command runs yet. When it does, the nightly runs of this account appear here.
        </EmptyState>
      </>
    );
  }
  return (
    <ResourceListPage
      resource={COMMAND_RUN}
      readOnly
      title="Conductor runs"
      description="Each nightly command run for this account: what ran, when, and how it ended."
    />
  );
}

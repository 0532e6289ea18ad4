import { Link } from 'react-router';
import { EmptyState } from '../components/EmptyState/EmptyState';

/** Unknown paths. `standalone` outside the app shell, which has its own <main>. */
export function NotFoundPage({ standalone = false }: { standalone?: boolean }) {
  const content = (
    <EmptyState title="Page not found" action={<Link to="/">Go to the dash</Link>}>
      There is no page at this address. Check the link, or start again from the dash.
    </EmptyState>
  );
  return standalone ? (
    <main id="main" className="shell-main">
      {content}
    </main>
  ) : (
    content
  );
}

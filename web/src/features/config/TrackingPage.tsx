import { CodeSnippet } from '../../components/CodeSnippet/CodeSnippet';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { useAccount } from '../auth/AccountContext';
import './config.css';

/** The tag snippet for an account (spec/domain.md: tag.js command queue). */
export function tagSnippet(token: string, origin: string): string {
  return [
    '<script>',
    '  window.cubed = window.cubed || [];',
    `  window.cubed.push(['setAccount', ${JSON.stringify(token).replace(/"/g, "'")}]);`,
    "  window.cubed.push(['fire']);",
    '</script>',
    `<script async src="${origin}/tag.js"></script>`,
  ].join('\n');
}

export function saleSnippet(currency: string): string {
  return [
    '<script>',
    '  window.cubed = window.cubed || [];',
    '  window.cubed.push([\'addEvent\', {',
    "    name: 'sale',",
    '    revenue: 49.99,',
    `    currency: '${currency}',`,
    "    transaction_id: 'ORDER-1234',",
    '  }]);',
    "  window.cubed.push(['fire']);",
    '</script>',
  ].join('\n');
}

/** How to install the tag on the account's site. */
export function TrackingPage() {
  const { account } = useAccount();
  const origin = window.location.origin;
  return (
    <>
      <PageHeader
        title="Tracking setup"
        description={`Install the Cubed tag on every page of ${account.name}'s site to record visits and sales.`}
      />
      <ol className="tracking-steps">
        <li>
          <h2>Add the tag to every page</h2>
          <p>
            Paste this just before <code>&lt;/head&gt;</code>. It loads <code>tag.js</code> without slowing the page
            and records a visit for account <code>{account.token}</code>.
          </p>
          <CodeSnippet label="Tag for every page" code={tagSnippet(account.token, origin)} />
        </li>
        <li>
          <h2>Record sales on the order confirmation page</h2>
          <p>
            Add an event with the order’s revenue and id. The tag sends nothing until <code>fire</code>; use your real
            values in place of the examples.
          </p>
          <CodeSnippet label="Sale event" code={saleSnippet(account.currency ?? 'GBP')} />
        </li>
        <li>
          <h2>Check that it works</h2>
          <p>
            Open your site in a new window and browse a few pages. Visits appear in reports after the nightly run; the
            Conductor page shows when it last ran.
          </p>
        </li>
      </ol>
    </>
  );
}

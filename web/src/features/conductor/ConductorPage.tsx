import { useId, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import {
  RUN_STATUSES,
  canCancel,
  canRetry,
  useCommandDefinitions,
  useCommandRuns,
  useRunAction,
  useRunLogs,
  useTrigger,
  type CommandRun,
} from '../../api/conductor';
import { useApiRoot } from '../../api/hooks';
import { describeError } from '../../api/client';
import { EmptyState } from '../../components/EmptyState/EmptyState';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { Pagination } from '../../components/Pagination/Pagination';
import { StatusBadge } from '../../components/StatusBadge/StatusBadge';
import { formatApiDateTime, humanize } from '../../lib/format';
import { todayIn } from '../../lib/dateRange';
import { useAccount } from '../auth/AccountContext';
import './conductor.css';

export const COMMAND_RUN = 'command-run';
const PAGE_SIZE = 50;

/** The API query for the runs list, from the page's URL search params. */
export function runsQuery(account: string, params: URLSearchParams): URLSearchParams {
  const q = new URLSearchParams({ account, limit: String(PAGE_SIZE), order_by: '-id' });
  for (const k of ['status', 'command', 'local_date'] as const) {
    const v = params.get(k);
    if (v) q.set(k, v);
  }
  const offset = Number(params.get('offset') ?? '0');
  if (Number.isInteger(offset) && offset > 0) q.set('offset', String(offset));
  return q;
}

function progressText(run: CommandRun): string {
  const p = run.progress;
  if (!p?.total) return run.status_name === 'running' ? 'running' : '';
  return `${p.done ?? 0} / ${p.total} (${Math.round(((p.done ?? 0) / p.total) * 100)}%)`;
}

/** Conductor: this account's command runs, their logs, retry/cancel, and backfills. */
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
  return <ConductorRuns />;
}

function ConductorRuns() {
  const { account } = useAccount();
  const ids = useId();
  const [params, setParams] = useSearchParams();
  const runs = useCommandRuns(runsQuery(account.token, params));
  const defs = useCommandDefinitions();
  const action = useRunAction(account.token);
  const [logsFor, setLogsFor] = useState<number | null>(null);

  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    if (k !== 'offset') next.delete('offset');
    setParams(next);
  };
  const commands = (defs.data?.objects ?? []).map((d) => d.name ?? '').filter(Boolean).sort();

  return (
    <>
      <PageHeader
        title="Conductor"
        description={`Command runs for ${account.name}: what ran for which day, how it ended, and why a run waits.`}
      />
      <BackfillForm account={account.token} commands={commands} today={todayIn(account.time_zone)} />
      <div className="toolbar conductor-filters">
        <div>
          <label htmlFor={`${ids}-status`}>Status</label>
          <select id={`${ids}-status`} className="select" value={params.get('status') ?? ''} onChange={(e) => set('status', e.target.value)}>
            <option value="">Any</option>
            {RUN_STATUSES.map((s, i) => (
              <option key={s} value={String(i)}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${ids}-command`}>Command</label>
          <select id={`${ids}-command`} className="select" value={params.get('command') ?? ''} onChange={(e) => set('command', e.target.value)}>
            <option value="">Any</option>
            {commands.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${ids}-date`}>Day</label>
          <input id={`${ids}-date`} type="date" className="input" value={params.get('local_date') ?? ''} onChange={(e) => set('local_date', e.target.value)} />
        </div>
      </div>
      {action.isError && (
        <p role="alert" className="form-error">
          {describeError(action.error)}
        </p>
      )}
      {runs.isError ? (
        <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />
      ) : runs.isPending ? (
        <LoadingState label="Loading runs…" />
      ) : runs.data.objects.length === 0 ? (
        <EmptyState title="No runs match">Runs appear once Conductor schedules this account's commands.</EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table conductor-runs">
              <caption>Command runs</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Command</th>
                  <th scope="col">Day</th>
                  <th scope="col">Status</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Details</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {runs.data.objects.map((run) => (
                  <tr key={run.id} data-run-id={run.id}>
                    <td>#{run.id}</td>
                    <td>
                      <code>{run.command}</code>
                    </td>
                    <td>{run.local_date}</td>
                    <td>
                      <StatusBadge status={run.status_name ?? 'unknown'} />
                    </td>
                    <td>{progressText(run)}</td>
                    <td className="num">{run.attempt}</td>
                    <td className="conductor-detail">
                      {run.status_name === 'waiting' && run.waiting_reason ? `Waits: ${run.waiting_reason}` : run.error || run.exit_detail || lastChange(run)}
                    </td>
                    <td className="conductor-actions">
                      <button type="button" className="btn btn-small" onClick={() => setLogsFor(logsFor === run.id ? null : (run.id ?? null))} aria-expanded={logsFor === run.id}>
                        Logs{' '}
                        <span className="visually-hidden">of run {run.id}</span>
                      </button>
                      {canRetry(run) && (
                        <button type="button" className="btn btn-small" disabled={action.isPending} onClick={() => action.mutate({ id: run.id ?? 0, action: 'retry' })}>
                          Retry{' '}
                        <span className="visually-hidden">run {run.id}</span>
                        </button>
                      )}
                      {canCancel(run) && (
                        <button type="button" className="btn btn-small btn-danger" disabled={action.isPending} onClick={() => action.mutate({ id: run.id ?? 0, action: 'cancel' })}>
                          Cancel{' '}
                        <span className="visually-hidden">run {run.id}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {logsFor !== null && <RunLogs id={logsFor} onClose={() => setLogsFor(null)} />}
          <Pagination
            offset={runs.data.meta.offset}
            limit={runs.data.meta.limit}
            total={runs.data.meta.total_count}
            pageSizes={[PAGE_SIZE]}
            noun="runs"
            onChange={(p) => set('offset', String(p.offset))}
          />
        </>
      )}
    </>
  );
}

function lastChange(run: CommandRun): string {
  const at = run.success_at ?? run.failed_at ?? run.cancelled_at ?? run.timeout_at ?? run.running_at ?? run.waiting_at;
  return at ? formatApiDateTime(at) : '';
}

function RunLogs({ id, onClose }: { id: number; onClose: () => void }) {
  const logs = useRunLogs(id);
  return (
    <section className="card conductor-logs" aria-label={`Logs of run ${id}`}>
      <div className="toolbar">
        <h2>Logs of run #{id}</h2>
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close logs
        </button>
      </div>
      {logs.isError ? (
        <ErrorState error={logs.error} onRetry={() => void logs.refetch()} />
      ) : logs.isPending ? (
        <LoadingState label="Loading logs…" />
      ) : logs.data.objects.length === 0 ? (
        <p className="muted">This run logged nothing.</p>
      ) : (
        <pre className="conductor-log-lines">
          {logs.data.objects.map((l) => `${l.at ? formatApiDateTime(l.at) : ''} ${(l.level ?? '').toUpperCase()} ${l.message ?? ''}`).join('\n')}
        </pre>
      )}
    </section>
  );
}

function BackfillForm({ account, commands, today }: { account: string; commands: string[]; today: string }) {
  const ids = useId();
  const trigger = useTrigger();
  const [command, setCommand] = useState('');
  const [from, setFrom] = useState(today);
  const [to, setTo] = useState(today);
  const [downstream, setDownstream] = useState(true);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    trigger.mutate({ account, command: command || (commands[0] ?? ''), from, to, with_downstream: downstream });
  };
  return (
    <form className="card conductor-backfill" onSubmit={submit} aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Backfill</h2>
      <div className="toolbar">
        <div>
          <label htmlFor={`${ids}-cmd`}>Command to backfill</label>
          <select id={`${ids}-cmd`} className="select" value={command || (commands[0] ?? '')} onChange={(e) => setCommand(e.target.value)}>
            {commands.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${ids}-from`}>From</label>
          <input id={`${ids}-from`} type="date" className="input" required value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div>
          <label htmlFor={`${ids}-to`}>To</label>
          <input id={`${ids}-to`} type="date" className="input" required value={to} min={from} onChange={(e) => setTo(e.target.value)} />
        </div>
        <label className="conductor-check">
          <input type="checkbox" checked={downstream} onChange={(e) => setDownstream(e.target.checked)} /> With downstream commands
        </label>
        <button type="submit" className="btn btn-primary" disabled={trigger.isPending || commands.length === 0}>
          {trigger.isPending ? 'Starting…' : 'Start backfill'}
        </button>
      </div>
      {trigger.isError && (
        <p role="alert" className="form-error">
          {describeError(trigger.error)}
        </p>
      )}
      {trigger.isSuccess && (
        <p role="status">
          Reopened {trigger.data.slots ?? 0} slot{trigger.data.slots === 1 ? '' : 's'} of {(trigger.data.commands ?? []).join(', ')}
          {trigger.data.busy ? ` (${trigger.data.busy} already running)` : ''}.
        </p>
      )}
    </form>
  );
}

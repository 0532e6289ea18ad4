import './StatusBadge.css';

export type StatusTone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

/** Tone for the statuses the API reports (command runs, slots, connections). */
export function statusTone(status: string): StatusTone {
  switch (status) {
    case 'success':
    case 'active':
      return 'ok';
    case 'waiting':
    case 'pending':
      return 'warn';
    case 'failed':
    case 'timeout':
    case 'broken':
      return 'bad';
    case 'running':
      return 'info';
    default:
      return 'neutral';
  }
}

export interface StatusBadgeProps {
  status: string;
  /** Shown instead of the status word. */
  label?: string;
}

/** A small coloured label; the word carries the meaning, the colour only helps. */
export function StatusBadge({ status, label }: StatusBadgeProps) {
  const text = label ?? status.charAt(0).toUpperCase() + status.slice(1);
  return <span className={`status-badge status-${statusTone(status)}`}>{text}</span>;
}

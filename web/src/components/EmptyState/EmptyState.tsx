import type { ReactNode } from 'react';
import './EmptyState.css';

export interface EmptyStateProps {
  title: string;
  /** What to do next, in a sentence. */
  children?: ReactNode;
  /** A button or link that does it. */
  action?: ReactNode;
}

/** Shown instead of an empty list: says why it is empty and what to do. */
export function EmptyState({ title, children, action }: EmptyStateProps) {
  return (
    <section className="empty-state" aria-label={title}>
      <h2>{title}</h2>
      {children && <div className="muted">{children}</div>}
      {action && <div className="empty-state-action">{action}</div>}
    </section>
  );
}

import './LoadingState.css';

export interface LoadingStateProps {
  /** What is loading, read by screen readers and shown beside the spinner. */
  label?: string;
  /** A compact form for use inside a line of text or a button. */
  inline?: boolean;
}

/** A polite, announced loading indicator. */
export function LoadingState({ label = 'Loading…', inline = false }: LoadingStateProps) {
  return (
    <div className={inline ? 'loading loading-inline' : 'loading'} role="status" aria-live="polite">
      <svg className="spinner" width="20" height="20" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
        <circle cx="10" cy="10" r="8" fill="none" stroke="currentColor" strokeOpacity="0.2" strokeWidth="3" />
        <path d="M10 2a8 8 0 0 1 8 8" fill="none" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
      </svg>
      <span>{label}</span>
    </div>
  );
}

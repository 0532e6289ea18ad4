import { describeError, isApiError } from '../../api/client';

export interface ErrorStateProps {
  error: unknown;
  /** Heading above the message. */
  title?: string;
  onRetry?: () => void;
}

function defaultTitle(error: unknown): string {
  if (!isApiError(error)) return 'Something went wrong';
  switch (error.code) {
    case 'network':
      return 'No connection';
    case 'forbidden':
      return 'Not allowed';
    case 'not_found':
      return 'Not found';
    case 'throttled':
      return 'Slow down';
    case 'timeout':
      return 'This took too long';
    default:
      return 'Something went wrong';
  }
}

/** An error announced to assistive technology, with an optional retry. */
export function ErrorState({ error, title, onRetry }: ErrorStateProps) {
  return (
    <div className="alert alert-error" role="alert">
      <strong>{title ?? defaultTitle(error)}</strong>
      <p style={{ margin: '0.25rem 0 0' }}>{describeError(error)}</p>
      {onRetry && (
        <button type="button" className="btn btn-small" style={{ marginTop: '0.6rem' }} onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

import { useEffect, useId, useState } from 'react';
import './CodeSnippet.css';

export interface CodeSnippetProps {
  /** Accessible name of the code block, e.g. "Tag snippet". */
  label: string;
  code: string;
}

type CopyState = 'idle' | 'copied' | 'failed';

/** A code block with a Copy button; the result is announced politely. */
export function CodeSnippet({ label, code }: CodeSnippetProps) {
  const [state, setState] = useState<CopyState>('idle');
  const id = useId();
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 4000);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <figure className="code-snippet">
      <figcaption id={id}>{label}</figcaption>
      {/* Scrollable regions must be focusable for keyboard users. */}
      {/* eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex */}
      <pre tabIndex={0} aria-labelledby={id}>
        <code>{code}</code>
      </pre>
      <div className="code-snippet-actions">
        <button type="button" className="btn btn-small" onClick={() => void copy()}>
          Copy
        </button>
        <span role="status" aria-live="polite" className="muted">
          {state === 'copied' ? 'Copied to the clipboard.' : state === 'failed' ? 'Copy failed: select the text and copy it.' : ''}
        </span>
      </div>
    </figure>
  );
}

import * as Popover from '@radix-ui/react-popover';
import { useEffect, useId, useRef, useState } from 'react';
import { FilterBox } from '../FilterBox/FilterBox';
import './ValueFilter.css';

export interface ValueOption {
  value: string;
  label: string;
}

export interface ValueFilterProps {
  /** What is filtered, e.g. "Channel". */
  label: string;
  options: ValueOption[];
  /** Picked values (option values). */
  selected: string[];
  onChange: (selected: string[]) => void;
  loading?: boolean;
  /** Why the options could not be loaded. */
  error?: string | undefined;
  /** At most this many options are listed at once; typing narrows the list. */
  maxShown?: number;
}

/** Lists longer than this get a box to find a value by name. */
const SEARCH_FROM = 8;

/**
 * Filter by one or more values picked by name: a button opens a list of
 * checkboxes (with a search box when the list is long); picked values show
 * as chips, each with a remove button. Every change is sent at once.
 * Removing a chip moves focus to the next chip, or back to the button.
 */
export function ValueFilter({ label, options, selected, onChange, loading = false, error, maxShown = 100 }: ValueFilterProps) {
  const id = useId();
  const [q, setQ] = useState('');
  const trigger = useRef<HTMLButtonElement>(null);
  const chips = useRef<HTMLUListElement>(null);
  const focusAfterRemove = useRef<string | null | undefined>(undefined);
  const names = new Map(options.map((o) => [o.value, o.label]));
  const nameOf = (v: string) => names.get(v) ?? `#${v}`;

  useEffect(() => {
    const target = focusAfterRemove.current;
    if (target === undefined) return;
    focusAfterRemove.current = undefined;
    const chip = target === null ? null : chips.current?.querySelector<HTMLButtonElement>(`button[data-value="${CSS.escape(target)}"]`);
    (chip ?? trigger.current)?.focus();
  }, [selected]);

  const toggle = (value: string, on: boolean) =>
    onChange(on ? [...selected.filter((v) => v !== value), value] : selected.filter((v) => v !== value));

  const remove = (i: number) => {
    focusAfterRemove.current = selected[i + 1] ?? selected[i - 1] ?? null;
    onChange(selected.filter((_, k) => k !== i));
  };

  const needle = q.trim().toLowerCase();
  const matching = needle ? options.filter((o) => o.label.toLowerCase().includes(needle)) : options;
  const shown = matching.slice(0, maxShown);

  return (
    <div className="value-filter">
      <Popover.Root onOpenChange={(open) => open || setQ('')}>
        <Popover.Trigger ref={trigger} className="btn value-filter-trigger">
          <span className="visually-hidden">Filter by</span> {label}
          {selected.length > 0 && <span className="value-filter-count">{selected.length}</span>}
          <span aria-hidden="true">▾</span>
        </Popover.Trigger>
        <Popover.Portal>
          <Popover.Content className="popover-content value-filter-popover" align="start" sideOffset={6} aria-label={`Filter by ${label}`}>
            {options.length > SEARCH_FROM && <FilterBox label={`Find a ${label.toLowerCase()}`} value={q} onChange={setQ} delay={0} />}
            <fieldset
              className="value-filter-options"
              aria-busy={loading}
              aria-describedby={matching.length > shown.length ? `${id}-more` : undefined}
            >
              <legend>{label} is any of</legend>
              {error ? (
                <p role="alert" className="value-filter-error">
                  {error}
                </p>
              ) : loading ? (
                <p className="muted">Loading…</p>
              ) : shown.length === 0 ? (
                <p className="muted">{needle ? `No ${label.toLowerCase()} matches “${q.trim()}”.` : 'Nothing to pick from yet.'}</p>
              ) : (
                shown.map((o) => (
                  <label key={o.value} className="value-filter-option">
                    <input type="checkbox" checked={selected.includes(o.value)} onChange={(e) => toggle(o.value, e.target.checked)} />
                    {o.label}
                  </label>
                ))
              )}
            </fieldset>
            {matching.length > shown.length && (
              <p className="muted value-filter-more" id={`${id}-more`}>
                {matching.length - shown.length} more: type to narrow the list.
              </p>
            )}
            <div className="dialog-actions">
              {selected.length > 0 && (
                <button type="button" className="btn" onClick={() => onChange([])}>
                  Clear
                </button>
              )}
              <Popover.Close className="btn btn-primary">Done</Popover.Close>
            </div>
          </Popover.Content>
        </Popover.Portal>
      </Popover.Root>
      {selected.length > 0 && (
        <ul ref={chips} className="value-filter-chips" aria-label={`${label} filters`}>
          {selected.map((v, i) => (
            <li key={v} className="chip">
              <span>{nameOf(v)}</span>
              <button type="button" className="chip-remove" data-value={v} aria-label={`Remove ${label} filter: ${nameOf(v)}`} onClick={() => remove(i)}>
                <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

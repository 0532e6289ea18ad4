import * as Popover from '@radix-ui/react-popover';
import { useId, useState } from 'react';
import {
  COMPARE_MODES,
  PRESETS,
  compareRange,
  formatRange,
  parseDate,
  presetRange,
  type CompareMode,
  type PeriodState,
  type PresetId,
} from '../../lib/dateRange';
import './DateRangePicker.css';

export interface DateRangePickerProps {
  value: PeriodState;
  /** Today in the account's time zone (YYYY-MM-DD). */
  today: string;
  onChange: (value: PeriodState) => void;
  locale?: string;
}

function presetLabel(p: PeriodState['preset']): string {
  return p === 'custom' ? 'Custom' : (PRESETS.find((x) => x.id === p)?.label ?? p);
}

/**
 * The report period: a preset (last 7/28/90 days, this/last month) or a
 * custom range, and an optional comparison period. Changes apply on
 * "Apply", so the URL (and the report query) changes once.
 */
export function DateRangePicker({ value, today, onChange, locale }: DateRangePickerProps) {
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState<PeriodState>(value);
  const [error, setError] = useState<string | null>(null);
  const ids = useId();
  const cmp = compareRange(value.range, value.compare);

  const openChange = (next: boolean) => {
    if (next) {
      setDraft(value);
      setError(null);
    }
    setOpen(next);
  };

  const choosePreset = (p: PresetId | 'custom') => {
    setError(null);
    setDraft((d) => (p === 'custom' ? { ...d, preset: 'custom' } : { ...d, preset: p, range: presetRange(p, today) }));
  };

  const apply = () => {
    const a = parseDate(draft.range.from);
    const b = parseDate(draft.range.to);
    if (!a || !b) {
      setError('Enter both dates.');
      return;
    }
    if (a > b) {
      setError('The start date must be on or before the end date.');
      return;
    }
    onChange(draft);
    setOpen(false);
  };

  const draftCompare = compareRange(draft.range, draft.compare);

  return (
    <Popover.Root open={open} onOpenChange={openChange}>
      <Popover.Trigger className="btn date-range-trigger">
        <span className="visually-hidden">Report period:</span>{' '}
        <span className="date-range-main">
          <strong>{presetLabel(value.preset)}</strong> · {formatRange(value.range, locale)}
        </span>
        {cmp && <span className="date-range-compare muted"> vs {formatRange(cmp, locale)}</span>}
        <span aria-hidden="true">▾</span>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content className="popover-content date-range-popover" align="start" sideOffset={6} aria-label="Choose the report period">
          <fieldset className="date-range-fieldset">
            <legend>Period</legend>
            {[...PRESETS, { id: 'custom' as const, label: 'Custom range' }].map((p) => (
              <label key={p.id} className="date-range-option">
                <input
                  type="radio"
                  name={`${ids}-preset`}
                  value={p.id}
                  checked={draft.preset === p.id}
                  onChange={() => choosePreset(p.id)}
                />
                {p.label}
              </label>
            ))}
          </fieldset>
          <div className="date-range-dates">
            <div>
              <label htmlFor={`${ids}-from`}>From</label>
              <input
                id={`${ids}-from`}
                className="input"
                type="date"
                max={today}
                value={draft.range.from}
                onChange={(e) => setDraft((d) => ({ ...d, preset: 'custom', range: { ...d.range, from: e.target.value } }))}
              />
            </div>
            <div>
              <label htmlFor={`${ids}-to`}>To</label>
              <input
                id={`${ids}-to`}
                className="input"
                type="date"
                max={today}
                value={draft.range.to}
                onChange={(e) => setDraft((d) => ({ ...d, preset: 'custom', range: { ...d.range, to: e.target.value } }))}
              />
            </div>
          </div>
          <div className="date-range-compare-field">
            <label htmlFor={`${ids}-compare`}>Compare with</label>
            <select
              id={`${ids}-compare`}
              className="select"
              value={draft.compare}
              onChange={(e) => setDraft((d) => ({ ...d, compare: e.target.value as CompareMode }))}
              aria-describedby={draftCompare ? `${ids}-cmp` : undefined}
            >
              {COMPARE_MODES.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                </option>
              ))}
            </select>
            {draftCompare && (
              <p id={`${ids}-cmp`} className="muted date-range-hint">
                {formatRange(draftCompare, locale)}
              </p>
            )}
          </div>
          {error && (
            <p className="date-range-error" role="alert">
              {error}
            </p>
          )}
          <div className="dialog-actions">
            <Popover.Close className="btn">Cancel</Popover.Close>
            <button type="button" className="btn btn-primary" onClick={apply}>
              Apply
            </button>
          </div>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

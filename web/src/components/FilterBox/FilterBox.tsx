import { useEffect, useId, useRef, useState } from 'react';

export interface FilterBoxProps {
  label: string;
  value: string;
  /** Called after typing pauses (debounced), on Enter and on clear. */
  onChange: (value: string) => void;
  placeholder?: string;
  delay?: number;
}

/**
 * A search box that filters a list: changes are sent after a short pause,
 * Escape clears it. The value from the URL wins when it changes outside
 * (back/forward).
 */
export function FilterBox({ label, value, onChange, placeholder, delay = 300 }: FilterBoxProps) {
  const id = useId();
  const [text, setText] = useState(value);
  const lastSent = useRef(value);
  useEffect(() => {
    if (value !== lastSent.current) {
      lastSent.current = value;
      setText(value);
    }
  }, [value]);
  useEffect(() => {
    if (text === lastSent.current) return;
    const t = setTimeout(() => {
      lastSent.current = text;
      onChange(text);
    }, delay);
    return () => clearTimeout(t);
  }, [text, delay, onChange]);
  const sendNow = (v: string) => {
    lastSent.current = v;
    onChange(v);
  };
  return (
    <div className="filter-box" style={{ flex: '1 1 16rem', maxWidth: '24rem' }}>
      <label htmlFor={id} style={{ display: 'block', fontWeight: 600, marginBottom: '0.3rem' }}>
        {label}
      </label>
      <input
        id={id}
        className="input"
        type="search"
        value={text}
        placeholder={placeholder}
        autoComplete="off"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            sendNow(text);
          } else if (e.key === 'Escape' && text !== '') {
            e.preventDefault();
            setText('');
            sendNow('');
          }
        }}
      />
    </div>
  );
}

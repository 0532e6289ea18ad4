import { useId } from 'react';
import './Pagination.css';

export interface PaginationProps {
  offset: number;
  limit: number;
  total: number;
  pageSizes?: readonly number[];
  /** Called with the new offset and limit. */
  onChange: (page: { offset: number; limit: number }) => void;
  /** What is counted, plural: "patterns". */
  noun?: string;
}

/** "21–40 of 143" with previous/next and a page size choice (§4.5 limit/offset). */
export function Pagination({ offset, limit, total, pageSizes = [20, 50, 100], onChange, noun = 'rows' }: PaginationProps) {
  const sizeId = useId();
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  const hasPrev = offset > 0;
  const hasNext = offset + limit < total;
  const sizes = pageSizes.includes(limit) ? pageSizes : [...pageSizes, limit].sort((a, b) => a - b);
  return (
    <nav className="pagination" aria-label="Pagination">
      <p className="pagination-status" aria-live="polite">
        {total === 0 ? `No ${noun}` : `${first}–${last} of ${total} ${noun}`}
      </p>
      <div className="pagination-controls">
        <label htmlFor={sizeId} className="pagination-size">
          Per page
        </label>
        <select
          id={sizeId}
          className="select"
          value={limit}
          onChange={(e) => onChange({ offset: 0, limit: Number(e.target.value) })}
        >
          {sizes.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="btn"
          disabled={!hasPrev}
          onClick={() => onChange({ offset: Math.max(0, offset - limit), limit })}
        >
          <span aria-hidden="true">←</span> Previous
        </button>
        <button type="button" className="btn" disabled={!hasNext} onClick={() => onChange({ offset: offset + limit, limit })}>
          Next <span aria-hidden="true">→</span>
        </button>
      </div>
    </nav>
  );
}

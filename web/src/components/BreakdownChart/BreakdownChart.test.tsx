import { describe, expect, it } from 'vitest';
import { describeBars, topBars } from './BreakdownChart';

describe('topBars', () => {
  it('keeps the largest, nulls last', () => {
    const bars = [
      { label: 'a', value: 1 },
      { label: 'b', value: null },
      { label: 'c', value: 5 },
      { label: 'd', value: 3 },
    ];
    expect(topBars(bars, 3).map((b) => b.label)).toEqual(['c', 'd', 'a']);
  });
});

describe('describeBars', () => {
  it('names the largest group, formatted', () => {
    expect(
      describeBars({ metric: { label: 'Revenue', type: 'money' }, currency: 'GBP', locale: 'en-GB', bars: [{ label: 'SEO', value: 10 }, { label: 'Direct', value: 1234.5 }] }),
    ).toBe('Revenue in 2 groups; largest Direct with £1,234.50.');
  });
  it('says when there is no data', () => {
    expect(describeBars({ metric: { label: 'Visits', type: 'integer' }, bars: [] })).toBe('Visits: no data.');
  });
});

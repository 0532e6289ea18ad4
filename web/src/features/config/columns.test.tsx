import { describe, expect, it } from 'vitest';
import { channelSchema, patternSchema } from '../../mocks/fixtures';
import { displayField, formatCell, listColumns } from './columns';

describe('listColumns', () => {
  it('puts the pk and display field first, readonly fields last, and caps the count', () => {
    const cols = listColumns(patternSchema);
    expect(cols.map((c) => c.id)).toEqual(['id', 'pattern', 'active', 'channel', 'is_default', 'match_on', 'notes', 'priority']);
    expect(cols.find((c) => c.id === 'priority')).toMatchObject({ numeric: true, sortable: true, header: 'Priority' });
    expect(cols.find((c) => c.id === 'notes')?.sortable).toBe(false);
  });
  it('finds the display field', () => {
    expect(displayField(channelSchema)).toBe('name');
    expect(displayField({ ...channelSchema, fields: { id: channelSchema.fields.id! } })).toBe('id');
  });
});

describe('formatCell', () => {
  const f = patternSchema.fields;
  it('formats by type', () => {
    expect(formatCell(f.active!, true)).toBe('Yes');
    expect(formatCell(f.notes!, null)).toBe('—');
    expect(formatCell(f.created!, '2024-07-01T13:00:00+01:00')).toBe('2024-07-01 13:00');
    expect(formatCell(f.channel!, '/api/v1/channel/3/')).toBe('#3');
    expect(formatCell(f.channel!, '/api/v1/channel/3/', { options: [{ value: '/api/v1/channel/3/', label: 'SEO' }] })).toBe('SEO');
    expect(formatCell(f.match_on!, 'referrer')).toBe('referrer');
  });
});

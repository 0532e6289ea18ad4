// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { patternSchema } from '../mocks/fixtures';
import { listApiQuery, readListState, searchField, sortDirection, toggleSort, writeListState } from './listParams';

describe('readListState', () => {
  it('uses schema defaults', () => {
    expect(readListState(new URLSearchParams(''), patternSchema)).toEqual({
      orderBy: [],
      limit: 20,
      offset: 0,
      q: '',
      filters: [],
    });
  });
  it('reads order, page, search and pass-through filters', () => {
    const s = readListState(
      new URLSearchParams('q=%20site%20&order_by=-priority&limit=50&offset=100&active=false&account=x&foo=1'),
      patternSchema,
    );
    expect(s).toEqual({ orderBy: ['-priority'], limit: 50, offset: 100, q: 'site', filters: [['active', 'false']] });
  });
  it('drops orderings the schema does not allow and bad numbers', () => {
    const s = readListState(new URLSearchParams('order_by=secret&order_by=id&limit=-5&offset=abc'), patternSchema);
    expect(s.orderBy).toEqual(['id']);
    expect(s.limit).toBe(20);
    expect(s.offset).toBe(0);
  });
  it('caps limit at max_limit', () => {
    expect(readListState(new URLSearchParams('limit=5000'), patternSchema).limit).toBe(1000);
  });
});

describe('writeListState', () => {
  it('omits defaults and round-trips', () => {
    const url = new URLSearchParams('q=site&active=false&order_by=-priority&limit=50&offset=50');
    const s = readListState(url, patternSchema);
    expect(writeListState(s, patternSchema).toString()).toBe(url.toString());
    expect(writeListState({ ...s, limit: 20, offset: 0, q: '', filters: [], orderBy: [] }, patternSchema).toString()).toBe('');
  });
});

describe('listApiQuery', () => {
  it('maps the filter box to <field>__icontains and always sends account, limit and offset', () => {
    const s = readListState(new URLSearchParams('q=site&order_by=priority&active=false'), patternSchema);
    expect(listApiQuery(s, patternSchema, 'c-a-demo-gb').toString()).toBe(
      'account=c-a-demo-gb&active=false&pattern__icontains=site&order_by=priority&limit=20&offset=0',
    );
  });
  it('picks the search field', () => {
    expect(searchField(patternSchema)).toBe('pattern');
    expect(searchField({ ...patternSchema, filtering: { id: ['exact'] } })).toBeNull();
  });
});

describe('sorting', () => {
  it('cycles ascending, descending, default', () => {
    expect(toggleSort([], 'priority')).toEqual(['priority']);
    expect(toggleSort(['priority'], 'priority')).toEqual(['-priority']);
    expect(toggleSort(['-priority'], 'priority')).toEqual([]);
    expect(toggleSort(['-priority'], 'id')).toEqual(['id']);
  });
  it('reports the primary direction', () => {
    expect(sortDirection(['-priority', 'id'], 'priority')).toBe('desc');
    expect(sortDirection(['-priority', 'id'], 'id')).toBeNull();
  });
});

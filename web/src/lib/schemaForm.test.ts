// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { makePatterns, patternSchema } from '../mocks/fixtures';
import { editableFields, initialValues, readonlyFields, toPayload } from './schemaForm';

const specs = editableFields(patternSchema);

describe('editableFields', () => {
  it('skips readonly fields and orders name-like fields first, checkboxes last', () => {
    expect(specs.map((s) => s.name)).toEqual(['pattern', 'channel', 'match_on', 'notes', 'priority', 'starts', 'weight', 'active', 'is_default']);
  });
  it('derives kinds, labels, choices and required', () => {
    const by = Object.fromEntries(specs.map((s) => [s.name, s]));
    expect(by.pattern?.required).toBe(true);
    expect(by.notes?.required).toBe(false);
    expect(by.weight?.required).toBe(false);
    expect(by.channel?.kind).toBe('related');
    expect(by.match_on?.kind).toBe('select');
    expect(by.match_on?.choices[1]).toEqual({ value: 'landing_page', label: 'Landing page' });
    expect(by.is_default?.label).toBe('Is default');
  });
  it('lists readonly fields with the primary key first', () => {
    expect(readonlyFields(patternSchema).map((f) => f.name)).toEqual(['id', 'created', 'updated']);
  });
});

describe('initialValues', () => {
  it('uses defaults for a create', () => {
    const v = initialValues(specs, null);
    expect(v).toMatchObject({ active: true, is_default: false, match_on: 'referrer', weight: '1.00', pattern: '', priority: '', notes: '' });
  });
  it('uses the object for an edit', () => {
    const v = initialValues(specs, makePatterns()[0]!);
    expect(v).toMatchObject({ pattern: 'site01.example', priority: '37', channel: '/api/v1/channel/1/', active: true });
  });
});

describe('toPayload', () => {
  it('converts types and nulls', () => {
    const v = { ...initialValues(specs, null), pattern: 'google\\.', priority: '10', channel: '/api/v1/channel/3/', starts: '2024-02-01' };
    const { body, errors } = toPayload(specs, v, 'create');
    expect(errors).toEqual({});
    expect(body).toEqual({
      pattern: 'google\\.',
      channel: '/api/v1/channel/3/',
      match_on: 'referrer',
      notes: null,
      priority: 10,
      starts: '2024-02-01',
      weight: '1.00',
      active: true,
      is_default: false,
    });
  });
  it('reports required and malformed values', () => {
    const v = { ...initialValues(specs, null), priority: '1.5', weight: 'abc' };
    const { errors } = toPayload(specs, v, 'create');
    expect(errors).toEqual({
      pattern: ['This field is required.'],
      channel: ['This field is required.'],
      priority: ['Enter a whole number.'],
      weight: ['Enter a number such as 12.50.'],
    });
  });
  it('checks max_length', () => {
    const v = { ...initialValues(specs, makePatterns()[0]!), pattern: 'x'.repeat(201) };
    expect(toPayload(specs, v, 'edit').errors.pattern).toEqual(['Use at most 200 characters.']);
  });
});

// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { plural, safeNext, switchAccountPath } from './accountPath';

describe('switchAccountPath', () => {
  it.each([
    ['/a/c-a-demo-gb/config/pattern/4', '/a/c-a-shop-us/config/pattern'],
    ['/a/c-a-demo-gb/config/pattern', '/a/c-a-shop-us/config/pattern'],
    ['/a/c-a-demo-gb/config', '/a/c-a-shop-us/config'],
    ['/a/c-a-demo-gb/reports', '/a/c-a-shop-us/reports'],
    ['/a/c-a-demo-gb/reports/report-channel-performance', '/a/c-a-shop-us/reports/report-channel-performance'],
    ['/a/c-a-demo-gb/', '/a/c-a-shop-us'],
    ['/login', '/a/c-a-shop-us'],
  ])('%s → %s', (from, to) => {
    expect(switchAccountPath(from, 'c-a-shop-us')).toBe(to);
  });
});

describe('safeNext', () => {
  it('accepts only dash paths', () => {
    expect(safeNext('/a/x/config')).toBe('/a/x/config');
    expect(safeNext('//evil.example/a/')).toBeNull();
    expect(safeNext('https://evil.example')).toBeNull();
    expect(safeNext('/a/\\evil')).toBeNull();
    expect(safeNext(null)).toBeNull();
  });
});

describe('plural', () => {
  it('pluralises resource names', () => {
    expect(plural('pattern')).toBe('patterns');
    expect(plural('Command run')).toBe('Command runs');
    expect(plural('Category')).toBe('Categories');
    expect(plural('Key')).toBe('Keys');
    expect(plural('Address')).toBe('Addresses');
  });
});

import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { PathView, pathSteps } from './PathView';

describe('pathSteps', () => {
  it.each([
    ['SEO > PPC > Direct', ['SEO', 'PPC', 'Direct']],
    ['Direct', ['Direct']],
    ['', []],
  ])('%j', (path, steps) => {
    expect(pathSteps(path)).toEqual(steps);
  });
});

describe('PathView', () => {
  it('lists paths largest first with their share', () => {
    render(
      <PathView
        title="Sales by path"
        metric={{ label: 'Sales', type: 'integer' }}
        locale="en-GB"
        rows={[
          { path: 'SEO > Direct', value: 25 },
          { path: 'Direct', value: 75 },
        ]}
      />,
    );
    const rows = within(screen.getByRole('region', { name: 'Sales by path' })).getAllByRole('listitem').filter((li) => li.classList.contains('path-view-row'));
    expect(rows[0]).toHaveTextContent('Direct75 · 75.00%');
    expect(screen.getByRole('list', { name: '2 steps: SEO, then Direct' })).toBeInTheDocument();
  });
});

import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { EmptyState } from './EmptyState';

describe('EmptyState', () => {
  it('names the region by its title and shows the action', () => {
    render(
      <EmptyState title="No channels yet" action={<a href="/new">New channel</a>}>
        Create one.
      </EmptyState>,
    );
    expect(screen.getByRole('region', { name: 'No channels yet' })).toHaveTextContent('Create one.');
    expect(screen.getByRole('link', { name: 'New channel' })).toHaveAttribute('href', '/new');
  });
});

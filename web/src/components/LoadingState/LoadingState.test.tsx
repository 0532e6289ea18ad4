import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LoadingState } from './LoadingState';

describe('LoadingState', () => {
  it('announces what is loading', () => {
    render(<LoadingState label="Loading patterns…" />);
    const status = screen.getByRole('status');
    expect(status).toHaveTextContent('Loading patterns…');
    expect(status).toHaveAttribute('aria-live', 'polite');
  });
});

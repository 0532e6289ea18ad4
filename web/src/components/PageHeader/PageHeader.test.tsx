import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { PageHeader } from './PageHeader';

describe('PageHeader', () => {
  it('renders one h1 with description and actions', () => {
    render(<PageHeader title="Channels" description="Where visits come from." actions={<button type="button">New</button>} />);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Channels');
    expect(screen.getByText('Where visits come from.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'New' })).toBeInTheDocument();
  });
});

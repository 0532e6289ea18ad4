import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { StatusBadge, statusTone } from './StatusBadge';

describe('statusTone', () => {
  it.each([
    ['success', 'ok'],
    ['active', 'ok'],
    ['waiting', 'warn'],
    ['failed', 'bad'],
    ['timeout', 'bad'],
    ['broken', 'bad'],
    ['running', 'info'],
    ['cancelled', 'neutral'],
    ['disconnected', 'neutral'],
  ])('%s → %s', (status, tone) => {
    expect(statusTone(status)).toBe(tone);
  });
});

describe('StatusBadge', () => {
  it('capitalises the status word', () => {
    render(<StatusBadge status="running" />);
    expect(screen.getByText('Running')).toHaveClass('status-info');
  });
});

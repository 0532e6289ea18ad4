import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createMockApi } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render';
import { tagSnippet } from './TrackingPage';

describe('TrackingPage', () => {
  it('builds the tag for the account', () => {
    expect(tagSnippet('c-a-demo-gb', 'https://cubed.example.com')).toBe(
      [
        '<script>',
        '  window.cubed = window.cubed || [];',
        "  window.cubed.push(['setAccount', 'c-a-demo-gb']);",
        "  window.cubed.push(['fire']);",
        '</script>',
        '<script async src="https://cubed.example.com/tag.js"></script>',
      ].join('\n'),
    );
  });

  it('shows the snippet for the account in the URL', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-shop-us/tracking');
    expect(await screen.findByRole('heading', { name: 'Tracking setup' })).toBeInTheDocument();
    const code = screen.getByLabelText('Tag for every page');
    expect(code).toHaveTextContent("window.cubed.push(['setAccount', 'c-a-shop-us']);");
    expect(code).toHaveTextContent(`<script async src="${window.location.origin}/tag.js"></script>`);
    expect(screen.getByLabelText('Sale event')).toHaveTextContent("currency: 'USD'");
  });
});

import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { createMockApi } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render';

describe('AccountLayout and routing', () => {
  it('sends a signed-out visitor to login with next', async () => {
    server.use(...createMockApi({ signedIn: false }));
    const { router } = await renderApp('/a/c-a-demo-gb/config/pattern?q=x');
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe(`?next=${encodeURIComponent('/a/c-a-demo-gb/config/pattern?q=x')}`);
  });

  it('redirects / to the first account', async () => {
    server.use(...createMockApi());
    const { router } = await renderApp('/');
    await waitFor(() => expect(router.state.location.pathname).toBe('/a/c-a-demo-gb/config'));
    expect(await screen.findByRole('heading', { name: 'Configuration' })).toBeInTheDocument();
  });

  it('refuses an account that is not in me.accounts', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-other-de/config');
    expect(await screen.findByRole('heading', { name: 'You have no access to this account' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Go to demo' })).toHaveAttribute('href', '/a/c-a-demo-gb');
  });

  it('switches account keeping the section, and logs out', async () => {
    document.cookie = 'csrftoken=mock-csrf; path=/';
    server.use(...createMockApi());
    const { router } = await renderApp('/a/c-a-demo-gb/config/pattern/3');
    await userEvent.click(await screen.findByRole('button', { name: /Account: demo/ }));
    await userEvent.click(await screen.findByRole('menuitemradio', { name: /shop/ }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/a/c-a-shop-us/config/pattern'));
    await userEvent.click(screen.getByRole('button', { name: /User menu/ }));
    await userEvent.click(await screen.findByRole('menuitem', { name: 'Log out' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(await screen.findByRole('heading', { name: 'Log in' })).toBeInTheDocument();
  });

  it('goes to login when a query answers 401 (expired session)', async () => {
    server.use(...createMockApi());
    const { router, queryClient } = await renderApp('/a/c-a-demo-gb/config');
    await screen.findByRole('heading', { name: 'Configuration' });
    queryClient.setQueryData(['me'], null);
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
  });
});

describe('session expiry and unknown pages', () => {
  it('a 401 from any API call sends the user to log in, keeping the page as next', async () => {
    const { http, HttpResponse } = await import('msw');
    server.use(
      http.get('*/api/v1/pattern/', () => HttpResponse.json({ error: { code: 'unauthenticated', message: 'The session has expired.' } }, { status: 401 })),
      ...createMockApi(),
    );
    const { router } = await renderApp('/a/c-a-demo-gb/config/pattern');
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe(`?next=${encodeURIComponent('/a/c-a-demo-gb/config/pattern')}`);
  });

  it('shows a not-found page inside and outside accounts', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/nowhere');
    expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeInTheDocument();
  });
});

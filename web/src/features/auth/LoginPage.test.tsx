import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { createMockApi, DEMO_PASSWORD } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderWithRouter } from '../../test/render';
import { LoginPage } from './LoginPage';

function renderLogin(path = '/login') {
  return renderWithRouter(<LoginPage />, {
    path: '/login',
    initialEntries: [path],
    routes: [{ path: '/a/:token/*', element: <p>Signed in page</p> }],
  });
}

describe('LoginPage', () => {
  it('logs in and goes to the first account', async () => {
    server.use(...createMockApi({ signedIn: false }));
    const { router } = renderLogin();
    await userEvent.type(await screen.findByLabelText(/Email/), 'demo@example.com');
    await userEvent.type(screen.getByLabelText(/Password/), DEMO_PASSWORD);
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('Signed in page')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/a/c-a-demo-gb/config');
  });

  it('follows a safe next parameter only', async () => {
    server.use(...createMockApi({ signedIn: false }));
    const { router } = renderLogin('/login?next=%2Fa%2Fc-a-shop-us%2Ftracking');
    await userEvent.type(await screen.findByLabelText(/Email/), 'demo@example.com');
    await userEvent.type(screen.getByLabelText(/Password/), DEMO_PASSWORD);
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/a/c-a-shop-us/tracking'));
  });

  it('shows the API error for a wrong password, then the throttling message', async () => {
    server.use(...createMockApi({ signedIn: false, loginLimit: 1 }));
    renderLogin();
    await userEvent.type(await screen.findByLabelText(/Email/), 'demo@example.com');
    await userEvent.type(screen.getByLabelText(/Password/), 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Unknown email or wrong password.');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.getByLabelText(/Password/)).toHaveValue('');
    await userEvent.type(screen.getByLabelText(/Password/), DEMO_PASSWORD);
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('Too many failed attempts for this email or network. Try again in 14 minutes.'));
  });

  it('asks for missing fields without calling the API', async () => {
    server.use(...createMockApi({ signedIn: false }));
    renderLogin();
    await userEvent.click(await screen.findByRole('button', { name: 'Log in' }));
    expect(screen.getByLabelText(/Email/)).toHaveAccessibleDescription('Enter your email address.');
    expect(screen.getByLabelText(/Password/)).toHaveAccessibleDescription('Enter your password.');
  });

  it('redirects when already signed in', async () => {
    server.use(...createMockApi({ signedIn: true }));
    const { router } = renderLogin();
    await waitFor(() => expect(router.state.location.pathname).toBe('/a/c-a-demo-gb/config'));
  });
});

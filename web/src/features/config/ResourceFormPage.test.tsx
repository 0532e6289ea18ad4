import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { createMockApi } from '../../mocks/handlers';
import { server } from '../../mocks/server';
import { renderApp } from '../../test/render';

describe('ResourceFormPage', () => {
  it('creates an object and returns to the list with a toast', async () => {
    document.cookie = 'csrftoken=mock-csrf; path=/';
    server.use(...createMockApi());
    const { router } = await renderApp('/a/c-a-demo-gb/config/channel/new');
    await userEvent.type(await screen.findByRole('textbox', { name: /Name/ }), 'Video');
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/a/c-a-demo-gb/config/channel'));
    expect((await screen.findAllByText('Channel created.')).length).toBeGreaterThan(0);
    expect(await screen.findByRole('link', { name: 'Video' })).toBeInTheDocument();
  });

  it('shows a conflict next to the field', async () => {
    document.cookie = 'csrftoken=mock-csrf; path=/';
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/config/channel/new');
    await userEvent.type(await screen.findByRole('textbox', { name: /Name/ }), 'Email');
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    const input = screen.getByRole('textbox', { name: /Name/ });
    await waitFor(() => expect(input).toHaveAttribute('aria-invalid', 'true'));
    expect(input).toHaveAccessibleDescription(/A record with this name already exists\./);
    expect(screen.getByRole('alert')).toHaveTextContent('A record with these values already exists.');
  });

  it('shows validation_failed field errors from the server', async () => {
    document.cookie = 'csrftoken=mock-csrf; path=/';
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/config/pattern/2');
    const pattern = await screen.findByRole('textbox', { name: /Pattern/ });
    // The mock rejects unknown choices: force one through the select's value.
    const select = screen.getByRole('combobox', { name: 'Match on' });
    select.appendChild(new Option('Bogus', 'bogus'));
    await userEvent.selectOptions(select, 'bogus');
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(select).toHaveAttribute('aria-invalid', 'true'));
    expect(select).toHaveAccessibleDescription('Choose one of the listed values.');
    expect(pattern).not.toHaveAttribute('aria-invalid');
  });

  it('edits, shows readonly fields, and deletes after confirmation', async () => {
    document.cookie = 'csrftoken=mock-csrf; path=/';
    server.use(...createMockApi());
    const { router } = await renderApp('/a/c-a-demo-gb/config/pattern/4');
    expect(await screen.findByRole('heading', { name: 'Pattern 4' })).toBeInTheDocument();
    expect(screen.getByText('Created').nextSibling).toHaveTextContent('2024-01-05 12:30');
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete pattern 4?' });
    expect(dialog).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/a/c-a-demo-gb/config/pattern'));
    expect((await screen.findAllByText('Pattern 4 deleted.')).length).toBeGreaterThan(0);
  });

  it('is read-only for viewers', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-boutique-fr/config/pattern/1');
    expect(await screen.findByText('You can view this record; your role does not allow changes.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save changes' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
  });

  it('shows not found for a missing object', async () => {
    server.use(...createMockApi());
    await renderApp('/a/c-a-demo-gb/config/pattern/999');
    expect(await screen.findByRole('alert')).toHaveTextContent('Not found');
  });
});

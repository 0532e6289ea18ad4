import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, screen } from 'storybook/test';
import { createMockApi, DEMO_PASSWORD } from '../../mocks/handlers';
import { LoginPage } from './LoginPage';

const meta = {
  title: 'Pages/LoginPage',
  component: LoginPage,
  parameters: {
    layout: 'fullscreen',
    router: { path: '/login', initialEntries: ['/login'] },
  },
} satisfies Meta<typeof LoginPage>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Empty: Story = {
  parameters: { msw: createMockApi({ signedIn: false }) },
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('heading', { name: 'Log in' })).toBeVisible();
  },
};

export const WrongPassword: Story = {
  parameters: { msw: createMockApi({ signedIn: false }) },
  play: async ({ canvas, userEvent }) => {
    await userEvent.type(await canvas.findByLabelText(/Email/), 'demo@example.com');
    await userEvent.type(canvas.getByLabelText(/Password/), `${DEMO_PASSWORD}x`);
    await userEvent.click(canvas.getByRole('button', { name: 'Log in' }));
    await expect(await screen.findByRole('alert')).toHaveTextContent('Unknown email or wrong password.');
  },
};

export const Throttled: Story = {
  parameters: { msw: createMockApi({ signedIn: false, loginLimit: 0 }) },
  play: async ({ canvas, userEvent }) => {
    await userEvent.type(await canvas.findByLabelText(/Email/), 'demo@example.com');
    await userEvent.type(canvas.getByLabelText(/Password/), DEMO_PASSWORD);
    await userEvent.click(canvas.getByRole('button', { name: 'Log in' }));
    await expect(await screen.findByRole('alert')).toHaveTextContent('Try again in 14 minutes.');
  },
};

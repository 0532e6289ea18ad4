import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, screen } from 'storybook/test';
import { useToast, type ToastMessage } from './Toaster';

function Demo({ message }: { message: ToastMessage }) {
  const toast = useToast();
  return (
    <button type="button" className="btn" onClick={() => toast(message)}>
      Show toast
    </button>
  );
}

// The ToastProvider comes from the preview decorator, as in the app.
function Harness({ message }: { message: ToastMessage }) {
  return <Demo message={message} />;
}

const meta = {
  title: 'Feedback/Toaster',
  component: Harness,
  args: { message: { title: 'Pattern saved.', description: 'It applies from tonight’s run.' } },
} satisfies Meta<typeof Harness>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Success: Story = {
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Show toast' }));
    await expect(await screen.findByText('Pattern saved.')).toBeVisible();
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
  },
};

export const ErrorTone: Story = {
  args: { message: { title: 'Could not save.', description: 'The server did not answer.', tone: 'error' } },
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Show toast' }));
    await expect(await screen.findByText('Could not save.')).toBeVisible();
  },
};

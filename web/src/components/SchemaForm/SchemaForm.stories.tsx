import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, waitFor } from 'storybook/test';
import { channels, makePatterns, patternSchema } from '../../mocks/fixtures';
import { SchemaForm } from './SchemaForm';

const related = {
  channel: { options: channels.map((c) => ({ value: c.resource_uri, label: String(c.name) })) },
};

const meta = {
  title: 'Forms/SchemaForm',
  component: SchemaForm,
  args: { schema: patternSchema, initial: null, related, onSubmit: fn(), onCancel: fn() },
} satisfies Meta<typeof SchemaForm>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Create: Story = {
  play: async ({ canvas, userEvent, args }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Create' }));
    // Client-side checks: the summary gets focus and names the fields.
    const summary = canvas.getByRole('alert');
    await waitFor(() => expect(summary).toHaveFocus());
    await expect(summary).toHaveTextContent('Pattern: This field is required.');
    await expect(args.onSubmit).not.toHaveBeenCalled();
    await userEvent.type(canvas.getByRole('textbox', { name: /Pattern/ }), 'google\\.');
    await userEvent.selectOptions(canvas.getByRole('combobox', { name: /Channel/ }), 'SEO');
    await userEvent.type(canvas.getByRole('textbox', { name: /Priority/ }), '10');
    await userEvent.click(canvas.getByRole('button', { name: 'Create' }));
    await expect(args.onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({ pattern: 'google\\.', channel: '/api/v1/channel/3/', priority: 10, active: true }),
    );
  },
};

export const Edit: Story = { args: { initial: makePatterns()[0] ?? null } };

export const ServerErrors: Story = {
  args: {
    initial: makePatterns()[1] ?? null,
    formError: 'Some fields are not valid.',
    serverErrors: { pattern: ['A pattern with this value already exists.'], channel: ['Unknown channel.'] },
  },
  play: async ({ canvas }) => {
    const input = canvas.getByRole('textbox', { name: /Pattern/ });
    await expect(input).toBeInvalid();
    await expect(input).toHaveAccessibleDescription(/already exists/);
  },
};

export const Submitting: Story = { args: { initial: makePatterns()[0] ?? null, submitting: true } };

export const ReadOnly: Story = {
  args: { initial: makePatterns()[0] ?? null, readOnly: true },
  play: async ({ canvas }) => {
    await expect(canvas.queryByRole('button', { name: /Save/ })).not.toBeInTheDocument();
    await expect(canvas.getByRole('textbox', { name: /Pattern/ })).toBeDisabled();
  },
};

export const Narrow: Story = {
  args: { initial: makePatterns()[0] ?? null },
  decorators: [
    (Story) => (
      <div style={{ width: 360 }}>
        <Story />
      </div>
    ),
  ],
};

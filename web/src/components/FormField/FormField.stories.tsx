import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect } from 'storybook/test';
import { FormField } from './FormField';

const meta = {
  title: 'Forms/FormField',
  component: FormField,
  args: {
    label: 'Pattern',
    children: (p) => <input className="input" type="text" {...p} />,
  },
} satisfies Meta<typeof FormField>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Default: Story = {
  args: { help: 'A regular expression matched against the referrer.', required: true },
  play: async ({ canvas }) => {
    const input = canvas.getByRole('textbox', { name: /Pattern/ });
    await expect(input).toBeRequired();
    await expect(input).toHaveAccessibleDescription('A regular expression matched against the referrer.');
  },
};

export const WithErrors: Story = {
  args: { errors: ['This field is required.'], help: 'A regular expression.' },
  play: async ({ canvas }) => {
    const input = canvas.getByRole('textbox', { name: 'Pattern' });
    await expect(input).toBeInvalid();
    await expect(input).toHaveAccessibleDescription('This field is required. A regular expression.');
  },
};

export const Checkbox: Story = {
  args: {
    label: 'Active',
    inline: true,
    children: (p) => <input className="checkbox" type="checkbox" {...p} />,
  },
};

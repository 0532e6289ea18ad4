import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, waitFor } from 'storybook/test';
import { CodeSnippet } from './CodeSnippet';

const meta = {
  title: 'Content/CodeSnippet',
  component: CodeSnippet,
  args: {
    label: 'Tag snippet',
    code: `<script>\n  window.cubed = window.cubed || [];\n  window.cubed.push(['setAccount', 'c-a-demo-gb']);\n  window.cubed.push(['fire']);\n</script>\n<script async src="https://cubed.example.com/tag.js"></script>`,
  },
} satisfies Meta<typeof CodeSnippet>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Default: Story = {
  play: async ({ canvas, userEvent }) => {
    await expect(canvas.getByLabelText('Tag snippet')).toHaveTextContent("setAccount', 'c-a-demo-gb'");
    await userEvent.click(canvas.getByRole('button', { name: 'Copy' }));
    // Headless browsers may refuse clipboard access; either outcome is announced.
    await waitFor(() => expect(canvas.getByRole('status')).toHaveTextContent(/Copied|Copy failed/));
  },
};

import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, fn } from 'storybook/test';
import { Pagination } from './Pagination';

function Harness({ total, onChange }: { total: number; onChange: (p: { offset: number; limit: number }) => void }) {
  const [page, setPage] = useState({ offset: 0, limit: 20 });
  return (
    <Pagination
      {...page}
      total={total}
      noun="patterns"
      onChange={(p) => {
        onChange(p);
        setPage(p);
      }}
    />
  );
}

const meta = {
  title: 'Data/Pagination',
  component: Harness,
  args: { total: 143, onChange: fn() },
} satisfies Meta<typeof Harness>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Pages: Story = {
  play: async ({ canvas, userEvent, args }) => {
    await expect(canvas.getByText('1–20 of 143 patterns')).toBeVisible();
    await expect(canvas.getByRole('button', { name: /Previous/ })).toBeDisabled();
    await userEvent.click(canvas.getByRole('button', { name: /Next/ }));
    await expect(args.onChange).toHaveBeenLastCalledWith({ offset: 20, limit: 20 });
    await expect(canvas.getByText('21–40 of 143 patterns')).toBeVisible();
    await userEvent.selectOptions(canvas.getByLabelText('Per page'), '100');
    await expect(canvas.getByText('1–100 of 143 patterns')).toBeVisible();
  },
};

export const Empty: Story = { args: { total: 0 } };

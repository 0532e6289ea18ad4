import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, fn } from 'storybook/test';
import { makePatterns } from '../../mocks/fixtures';
import type { ResourceObject } from '../../api/types';
import { DataTable, type DataTableColumn } from './DataTable';

const columns: DataTableColumn<ResourceObject>[] = [
  { id: 'id', header: 'ID', cell: (r) => String(r.id), numeric: true, sortable: true },
  { id: 'pattern', header: 'Pattern', cell: (r) => String(r.pattern), sortable: true },
  { id: 'priority', header: 'Priority', cell: (r) => String(r.priority), numeric: true, sortable: true },
  { id: 'match_on', header: 'Match on', cell: (r) => String(r.match_on) },
];

function Sortable({ onSort }: { onSort: (id: string) => void }) {
  const [sort, setSort] = useState<{ id: string; direction: 'asc' | 'desc' } | null>(null);
  const rows = makePatterns().slice(0, 6);
  const sorted = sort
    ? [...rows].sort((a, b) => {
        const c = String(a[sort.id]).localeCompare(String(b[sort.id]), undefined, { numeric: true });
        return sort.direction === 'asc' ? c : -c;
      })
    : rows;
  return (
    <DataTable
      caption="Patterns"
      columns={columns}
      rows={sorted}
      getRowId={(r) => String(r.id)}
      sort={sort}
      onSort={(id) => {
        onSort(id);
        setSort((s) => (s?.id !== id ? { id, direction: 'asc' } : s.direction === 'asc' ? { id, direction: 'desc' } : null));
      }}
    />
  );
}

const meta = {
  title: 'Data/DataTable',
  component: Sortable,
  args: { onSort: fn() },
} satisfies Meta<typeof Sortable>;
export default meta;
type Story = StoryObj<typeof meta>;

export const ServerSorted: Story = {
  play: async ({ canvas, userEvent, args }) => {
    const table = canvas.getByRole('table', { name: 'Patterns' });
    await expect(table).toBeVisible();
    const priority = canvas.getByRole('columnheader', { name: /Priority/ });
    await expect(priority).toHaveAttribute('aria-sort', 'none');
    await userEvent.click(canvas.getByRole('button', { name: /Priority/ }));
    await expect(args.onSort).toHaveBeenCalledWith('priority');
    await expect(priority).toHaveAttribute('aria-sort', 'ascending');
    await userEvent.keyboard('{Enter}');
    await expect(priority).toHaveAttribute('aria-sort', 'descending');
    await expect(canvas.getByRole('columnheader', { name: 'Match on' })).not.toHaveAttribute('aria-sort');
  },
};

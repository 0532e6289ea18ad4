import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { DataTable, type DataTableColumn } from './DataTable';

interface Row {
  id: number;
  name: string;
}
const columns: DataTableColumn<Row>[] = [
  { id: 'id', header: 'ID', cell: (r) => r.id, numeric: true, sortable: true },
  { id: 'name', header: 'Name', cell: (r) => r.name },
];
const rows: Row[] = [
  { id: 1, name: 'Direct' },
  { id: 2, name: 'Email' },
];

describe('DataTable', () => {
  it('renders a captioned table with sort state', async () => {
    const onSort = vi.fn();
    render(<DataTable caption="Channels" columns={columns} rows={rows} getRowId={(r) => String(r.id)} sort={{ id: 'id', direction: 'desc' }} onSort={onSort} />);
    const table = screen.getByRole('table', { name: 'Channels' });
    const [header, ...body] = within(table).getAllByRole('row');
    expect(body).toHaveLength(2);
    expect(within(header!).getByRole('columnheader', { name: /ID/ })).toHaveAttribute('aria-sort', 'descending');
    expect(within(header!).getByRole('columnheader', { name: 'Name' })).not.toHaveAttribute('aria-sort');
    await userEvent.click(screen.getByRole('button', { name: /ID/ }));
    expect(onSort).toHaveBeenCalledWith('id');
  });

  it('has no sort buttons without onSort', () => {
    render(<DataTable caption="Channels" columns={columns} rows={rows} getRowId={(r) => String(r.id)} />);
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});

describe('DataTable busy', () => {
  it('announces updates without hiding rows', () => {
    render(<DataTable caption="Channels" columns={columns} rows={rows} getRowId={(r) => String(r.id)} busy />);
    expect(screen.getByRole('status')).toHaveTextContent('Updating…');
    expect(screen.getByRole('table')).toHaveAttribute('aria-busy', 'true');
  });
});

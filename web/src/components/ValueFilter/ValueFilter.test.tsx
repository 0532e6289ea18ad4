import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { ValueFilter, type ValueOption } from './ValueFilter';

const channels: ValueOption[] = ['Direct', 'SEO', 'PPC', 'Email'].map((label, i) => ({ value: String(i + 1), label }));

function Harness({ initial = [], onChange = () => {}, options = channels }: { initial?: string[]; onChange?: (v: string[]) => void; options?: ValueOption[] }) {
  const [selected, setSelected] = useState(initial);
  return (
    <ValueFilter
      label="Channel"
      options={options}
      selected={selected}
      onChange={(v) => {
        onChange(v);
        setSelected(v);
      }}
    />
  );
}

describe('ValueFilter', () => {
  it('picks values by name from the list, by keyboard', async () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const trigger = screen.getByRole('button', { name: 'Filter by Channel' });
    trigger.focus();
    await userEvent.keyboard('{Enter}');
    const dialog = await screen.findByRole('dialog', { name: 'Filter by Channel' });
    await userEvent.click(within(dialog).getByRole('checkbox', { name: 'PPC' }));
    expect(onChange).toHaveBeenLastCalledWith(['3']);
    within(dialog).getByRole('checkbox', { name: 'Email' }).focus();
    await userEvent.keyboard(' ');
    expect(onChange).toHaveBeenLastCalledWith(['3', '4']);
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Filter by Channel/ })).toHaveTextContent('2');
    const chips = screen.getByRole('list', { name: 'Channel filters' });
    expect(within(chips).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['PPC×', 'Email×']);
  });

  it('removes a chip and moves focus to the next one, then to the button', async () => {
    const onChange = vi.fn();
    render(<Harness initial={['1', '2']} onChange={onChange} />);
    await userEvent.click(screen.getByRole('button', { name: 'Remove Channel filter: Direct' }));
    expect(onChange).toHaveBeenLastCalledWith(['2']);
    expect(screen.getByRole('button', { name: 'Remove Channel filter: SEO' })).toHaveFocus();
    await userEvent.keyboard('{Enter}');
    expect(onChange).toHaveBeenLastCalledWith([]);
    expect(screen.queryByRole('list', { name: 'Channel filters' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Filter by Channel' })).toHaveFocus();
  });

  it('narrows a long list by name and says what is left out', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ value: String(i + 1), label: `Campaign ${i + 1}` }));
    render(<ValueFilter label="Campaign" options={many} selected={[]} onChange={() => {}} maxShown={10} />);
    await userEvent.click(screen.getByRole('button', { name: 'Filter by Campaign' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getAllByRole('checkbox')).toHaveLength(10);
    expect(within(dialog).getByText('20 more: type to narrow the list.')).toBeInTheDocument();
    await userEvent.type(within(dialog).getByRole('searchbox', { name: 'Find a campaign' }), 'campaign 2');
    await vi.waitFor(() => expect(within(dialog).getAllByRole('checkbox')).toHaveLength(10));
    expect(within(dialog).getByRole('checkbox', { name: 'Campaign 2' })).toBeInTheDocument();
    expect(within(dialog).getByText('1 more: type to narrow the list.')).toBeInTheDocument();
    await userEvent.type(within(dialog).getByRole('searchbox'), 'x');
    expect(await within(dialog).findByText('No campaign matches “campaign 2x”.')).toBeInTheDocument();
  });

  it('names unknown values by id and shows loading and errors', async () => {
    const { rerender } = render(<ValueFilter label="Channel" options={[]} selected={['9']} onChange={() => {}} loading />);
    expect(screen.getByRole('button', { name: 'Remove Channel filter: #9' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: /Filter by Channel/ }));
    expect(await screen.findByText('Loading…')).toBeInTheDocument();
    rerender(<ValueFilter label="Channel" options={[]} selected={['9']} onChange={() => {}} error="Could not load the channels." />);
    expect(screen.getByRole('alert')).toHaveTextContent('Could not load the channels.');
  });
});

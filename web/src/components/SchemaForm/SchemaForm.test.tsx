import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { channels, makePatterns, patternSchema } from '../../mocks/fixtures';
import { SchemaForm } from './SchemaForm';

const related = { channel: { options: channels.map((c) => ({ value: c.resource_uri, label: String(c.name) })) } };

describe('SchemaForm', () => {
  it('renders a labelled control per writable field, with types', () => {
    render(<SchemaForm schema={patternSchema} initial={null} related={related} onSubmit={() => {}} />);
    expect(screen.getByRole('textbox', { name: /Pattern/ })).toBeRequired();
    expect(screen.getByRole('combobox', { name: /Channel/ })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Match on' })).toHaveValue('referrer');
    expect(screen.getByRole('checkbox', { name: 'Active' })).toBeChecked();
    expect(screen.getByLabelText('Starts')).toHaveAttribute('type', 'date');
    expect(screen.queryByLabelText('Created')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('ID')).not.toBeInTheDocument();
  });

  it('edits an object and submits typed values', async () => {
    const onSubmit = vi.fn();
    render(<SchemaForm schema={patternSchema} initial={makePatterns()[3]!} related={related} onSubmit={onSubmit} />);
    const priority = screen.getByRole('textbox', { name: /Priority/ });
    expect(priority).toHaveValue('148');
    await userEvent.clear(priority);
    await userEvent.type(priority, '5');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Active' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ priority: 5, active: false, channel: '/api/v1/channel/4/' }));
  });

  it('shows server field errors next to fields and unknown ones in the summary', () => {
    render(
      <SchemaForm
        schema={patternSchema}
        initial={null}
        related={related}
        formError="Some fields are not valid."
        serverErrors={{ pattern: ['Bad regex.'], secret: ['Unknown field.'] }}
        onSubmit={() => {}}
      />,
    );
    const input = screen.getByRole('textbox', { name: /Pattern/ });
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveAccessibleDescription(/Bad regex\./);
    const summary = screen.getByRole('alert');
    expect(summary).toHaveTextContent('Some fields are not valid.');
    expect(screen.getByRole('link', { name: 'Pattern: Bad regex.' })).toHaveAttribute('href', '#field-pattern');
    expect(summary).toHaveTextContent('secret: Unknown field.');
  });

  it('blocks submit on client errors and clears a field error when it is edited', async () => {
    const onSubmit = vi.fn();
    render(<SchemaForm schema={patternSchema} initial={null} related={related} onSubmit={onSubmit} />);
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole('alert')).toHaveFocus();
    const input = screen.getByRole('textbox', { name: /Pattern/ });
    expect(input).toHaveAttribute('aria-invalid', 'true');
    await userEvent.type(input, 'x');
    expect(input).not.toHaveAttribute('aria-invalid');
  });

  it('falls back to a text input when related choices are truncated', () => {
    render(<SchemaForm schema={patternSchema} initial={makePatterns()[0]!} related={{ channel: { options: [], truncated: true } }} onSubmit={() => {}} />);
    expect(screen.getByRole('textbox', { name: /Channel/ })).toHaveValue('/api/v1/channel/1/');
  });
});

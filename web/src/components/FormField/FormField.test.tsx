import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FormField } from './FormField';

describe('FormField', () => {
  it('labels the control and describes it with errors then help', () => {
    render(
      <FormField label="Name" help="Shown in reports." errors={['Too long.']} required>
        {(p) => <input {...p} />}
      </FormField>,
    );
    const input = screen.getByRole('textbox', { name: /Name/ });
    expect(input).toBeRequired();
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveAccessibleDescription('Too long. Shown in reports.');
  });

  it('has no description or invalid flag when there is nothing to say', () => {
    render(<FormField label="Name">{(p) => <input {...p} />}</FormField>);
    const input = screen.getByRole('textbox', { name: 'Name' });
    expect(input).not.toHaveAttribute('aria-invalid');
    expect(input).not.toHaveAttribute('aria-describedby');
  });

  it('uses the given id', () => {
    render(
      <FormField label="Active" id="field-active" inline>
        {(p) => <input type="checkbox" {...p} />}
      </FormField>,
    );
    expect(screen.getByRole('checkbox', { name: 'Active' })).toHaveAttribute('id', 'field-active');
  });
});

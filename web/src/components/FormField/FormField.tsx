import { useId, type ReactNode } from 'react';
import './FormField.css';

/** Props to spread on the control so that label, help and errors are wired. */
export interface ControlProps {
  id: string;
  'aria-describedby': string | undefined;
  'aria-invalid': true | undefined;
  required: boolean | undefined;
}

export interface FormFieldProps {
  label: string;
  help?: ReactNode;
  errors?: string[] | undefined;
  required?: boolean;
  /** Checkbox layout: control first, label beside it. */
  inline?: boolean;
  /** Use this id for the control instead of a generated one. */
  id?: string;
  children: (control: ControlProps) => ReactNode;
}

/**
 * A label, a control, its help text and its errors, wired for assistive
 * technology: the label names the control, help and errors describe it,
 * and `aria-invalid` marks it while it has errors.
 */
export function FormField({ label, help, errors, required, inline = false, id, children }: FormFieldProps) {
  const auto = useId();
  const controlId = id ?? `f${auto.replace(/:/g, '')}`;
  const helpId = help ? `${controlId}-help` : undefined;
  const errorId = errors && errors.length > 0 ? `${controlId}-error` : undefined;
  const describedBy = [errorId, helpId].filter(Boolean).join(' ') || undefined;
  const control = children({
    id: controlId,
    'aria-describedby': describedBy,
    'aria-invalid': errorId ? true : undefined,
    required: required || undefined,
  });
  return (
    <div className={`form-field${inline ? ' form-field-inline' : ''}${errorId ? ' has-error' : ''}`}>
      {inline ? (
        <div className="form-field-row">
          {control}
          <label htmlFor={controlId}>{label}</label>
        </div>
      ) : (
        <>
          <label htmlFor={controlId}>
            {label}
            {required && (
              <span className="form-field-required" aria-hidden="true">
                {' '}
                *
              </span>
            )}
          </label>
          {control}
        </>
      )}
      {errorId && (
        <ul className="form-field-errors" id={errorId}>
          {errors?.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      {help && (
        <p className="form-field-help" id={helpId}>
          {help}
        </p>
      )}
    </div>
  );
}

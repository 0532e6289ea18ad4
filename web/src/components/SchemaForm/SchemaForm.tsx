import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { ResourceObject, ResourceSchema } from '../../api/types';
import {
  editableFields,
  initialValues,
  toPayload,
  type FieldErrors,
  type FieldSpec,
  type FormValue,
  type FormValues,
} from '../../lib/schemaForm';
import { FormField, type ControlProps } from '../FormField/FormField';
import './SchemaForm.css';

export interface RelatedOptions {
  options: Array<{ value: string; label: string }>;
  loading?: boolean;
  /** More objects exist than were listed: type the URI or pk instead. */
  truncated?: boolean;
}

export interface SchemaFormProps {
  schema: ResourceSchema;
  /** The object being edited, or null to create one. */
  initial: ResourceObject | null;
  /** Choices for related (to-one) fields, by field name. */
  related?: Record<string, RelatedOptions>;
  /** `fields` of a validation_failed or conflict error, by field name. */
  serverErrors?: FieldErrors;
  /** A message for the whole form (e.g. forbidden, network). */
  formError?: string | null;
  submitting?: boolean;
  /** Viewer role: show the values, no way to submit. */
  readOnly?: boolean;
  submitLabel?: string;
  onSubmit: (body: Record<string, unknown>) => void;
  onCancel?: () => void;
}

export function fieldId(name: string) {
  return `field-${name}`;
}

function Control({ spec, value, onChange, props, related, disabled }: {
  spec: FieldSpec;
  value: FormValue;
  onChange: (v: FormValue) => void;
  props: ControlProps;
  related: RelatedOptions | undefined;
  disabled: boolean;
}) {
  const text = typeof value === 'string' ? value : '';
  const common = { ...props, disabled, name: spec.name };
  switch (spec.kind) {
    case 'checkbox':
      return <input {...common} className="checkbox" type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
    case 'select':
      return (
        <select {...common} className="select" value={text} onChange={(e) => onChange(e.target.value)}>
          {(!spec.required || text === '') && <option value="">{spec.field.nullable ? '(none)' : 'Choose…'}</option>}
          {spec.choices.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      );
    case 'related':
      if (related && !related.truncated) {
        const known = related.options.some((o) => o.value === text);
        return (
          <select {...common} className="select" value={text} onChange={(e) => onChange(e.target.value)} aria-busy={related.loading || undefined}>
            <option value="">{related.loading ? 'Loading…' : spec.field.nullable ? '(none)' : 'Choose…'}</option>
            {!known && text !== '' && <option value={text}>{text}</option>}
            {related.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        );
      }
      return <input {...common} className="input" type="text" value={text} placeholder="/api/v1/…/1/" onChange={(e) => onChange(e.target.value)} />;
    case 'integer':
      return <input {...common} className="input" type="text" inputMode="numeric" value={text} onChange={(e) => onChange(e.target.value)} />;
    case 'float':
    case 'decimal':
      return <input {...common} className="input" type="text" inputMode="decimal" value={text} onChange={(e) => onChange(e.target.value)} />;
    case 'date':
      return <input {...common} className="input" type="date" value={text} onChange={(e) => onChange(e.target.value)} />;
    case 'datetime':
      return <input {...common} className="input" type="datetime-local" step={1} value={text} onChange={(e) => onChange(e.target.value)} />;
    case 'time':
      return <input {...common} className="input" type="time" step={1} value={text} onChange={(e) => onChange(e.target.value)} />;
    case 'json':
      return <textarea {...common} className="textarea" value={text} spellCheck={false} onChange={(e) => onChange(e.target.value)} />;
    default:
      return (
        <input
          {...common}
          className="input"
          type="text"
          value={text}
          maxLength={spec.field.max_length}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
}

/**
 * A create/edit form generated from a resource schema. Client checks run
 * first; server `fields` errors appear next to their fields. After a failed
 * submit, focus moves to an error summary whose links jump to each field.
 */
export function SchemaForm({
  schema,
  initial,
  related = {},
  serverErrors,
  formError,
  submitting = false,
  readOnly = false,
  submitLabel,
  onSubmit,
  onCancel,
}: SchemaFormProps) {
  const specs = useMemo(() => editableFields(schema), [schema]);
  const [values, setValues] = useState<FormValues>(() => initialValues(specs, initial));
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  const [attempt, setAttempt] = useState(0);
  const summaryRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setValues(initialValues(specs, initial));
    setClientErrors({});
  }, [specs, initial]);

  const errors: FieldErrors = { ...(serverErrors ?? {}), ...clientErrors };
  const known = new Set(specs.map((s) => s.name));
  const otherErrors = Object.entries(errors).filter(([k]) => !known.has(k));
  const fieldErrorCount = Object.keys(errors).filter((k) => known.has(k)).length;
  const hasErrors = fieldErrorCount > 0 || otherErrors.length > 0 || Boolean(formError);

  // Move focus to the summary when a submit ends with errors.
  useEffect(() => {
    if (attempt > 0 && hasErrors) summaryRef.current?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attempt, serverErrors, formError]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (readOnly) return;
    const { body, errors: found } = toPayload(specs, values, initial ? 'edit' : 'create');
    setClientErrors(found);
    setAttempt((n) => n + 1);
    if (Object.keys(found).length === 0) onSubmit(body);
  };

  const set = (name: string) => (v: FormValue) => {
    setValues((old) => ({ ...old, [name]: v }));
    setClientErrors((old) => {
      if (!(name in old)) return old;
      const next = { ...old };
      delete next[name];
      return next;
    });
  };

  return (
    <form className="schema-form" onSubmit={submit} noValidate aria-busy={submitting || undefined}>
      {hasErrors && (
        <div className="alert alert-error" role="alert" tabIndex={-1} ref={summaryRef}>
          <strong>{formError ?? 'Check the highlighted fields.'}</strong>
          {(fieldErrorCount > 0 || otherErrors.length > 0) && (
            <ul>
              {specs
                .filter((s) => errors[s.name])
                .map((s) => (
                  <li key={s.name}>
                    <a href={`#${fieldId(s.name)}`}>
                      {s.label}: {errors[s.name]?.[0]}
                    </a>
                  </li>
                ))}
              {otherErrors.map(([k, msgs]) => (
                <li key={k}>
                  {k}: {msgs.join(' ')}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="schema-form-grid">
        {specs.map((s) => (
          <div key={s.name} className={s.kind === 'json' ? 'schema-form-wide' : undefined}>
            <FormField
              id={fieldId(s.name)}
              label={s.label}
              help={s.field.help_text || undefined}
              errors={errors[s.name]}
              required={s.required}
              inline={s.kind === 'checkbox'}
            >
              {(props) => (
                <Control
                  spec={s}
                  value={values[s.name] ?? ''}
                  onChange={set(s.name)}
                  props={props}
                  related={related[s.name]}
                  disabled={readOnly || submitting}
                />
              )}
            </FormField>
          </div>
        ))}
      </div>
      <div className="schema-form-actions">
        {!readOnly && (
          <button type="submit" className="btn btn-primary" disabled={submitting}>
            {submitting ? 'Saving…' : (submitLabel ?? (initial ? 'Save changes' : 'Create'))}
          </button>
        )}
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            {readOnly ? 'Back' : 'Cancel'}
          </button>
        )}
      </div>
    </form>
  );
}

// Forms generated from a resource's /schema/ (§9): which fields to show,
// how to turn API values into input values and back, and client-side checks
// that mirror the API's validation_failed rules (§5.1).
import { NO_DEFAULT, type ResourceObject, type ResourceSchema, type SchemaField } from '../api/types';
import { labelize } from './format';

export type InputKind = 'text' | 'integer' | 'float' | 'decimal' | 'checkbox' | 'date' | 'datetime' | 'time' | 'select' | 'related' | 'json';

export interface FieldSpec {
  name: string;
  field: SchemaField;
  label: string;
  kind: InputKind;
  required: boolean;
  choices: Array<{ value: string; label: string }>;
}

export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;
export type FieldErrors = Record<string, string[]>;

export function hasDefault(f: SchemaField): boolean {
  return f.default !== NO_DEFAULT && f.default !== undefined;
}

/** Required in a create: not nullable, not blank and no default. */
export function isRequired(f: SchemaField): boolean {
  return f.type !== 'boolean' && !f.nullable && !f.blank && !hasDefault(f);
}

function normaliseChoices(f: SchemaField): Array<{ value: string; label: string }> {
  return (f.choices ?? []).map((c) => ({ value: c, label: labelize(c.replace(/_/g, ' ')) }));
}

function kindOf(f: SchemaField): InputKind {
  if (f.choices && f.choices.length > 0) return 'select';
  switch (f.type) {
    case 'boolean':
      return 'checkbox';
    case 'integer':
      return 'integer';
    case 'float':
      return 'float';
    case 'decimal':
      return 'decimal';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'time':
      return 'time';
    case 'related':
      return 'related';
    case 'dict':
    case 'list':
      return 'json';
    default:
      return 'text';
  }
}

const FIRST = ['name', 'title', 'pattern', 'email'];

/** Writable fields in form order: name-like first, then alphabetical, checkboxes last. */
export function editableFields(schema: ResourceSchema): FieldSpec[] {
  const specs = Object.entries(schema.fields)
    .filter(([name, f]) => name !== 'resource_uri' && !f.readonly && !f.primary_key && f.related_type !== 'to_many')
    .map(([name, f]) => ({
      name,
      field: f,
      label: labelize(f.verbose_name || name),
      kind: kindOf(f),
      required: isRequired(f),
      choices: normaliseChoices(f),
    }));
  const rank = (s: FieldSpec) => {
    const i = FIRST.indexOf(s.name);
    if (i >= 0) return i;
    return s.kind === 'checkbox' ? 200 : 100;
  };
  return specs.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** Readonly fields worth showing on an edit page (id, created, …). */
export function readonlyFields(schema: ResourceSchema): Array<{ name: string; label: string; field: SchemaField }> {
  return Object.entries(schema.fields)
    .filter(([name, f]) => name !== 'resource_uri' && (f.readonly || f.primary_key))
    .map(([name, f]) => ({ name, label: labelize(f.verbose_name || name), field: f }))
    .sort((a, b) => (a.field.primary_key ? -1 : b.field.primary_key ? 1 : a.name.localeCompare(b.name)));
}

function toInput(spec: FieldSpec, v: unknown): FormValue {
  if (spec.kind === 'checkbox') return v === true;
  if (v === null || v === undefined) return '';
  switch (spec.kind) {
    case 'datetime':
      // Keep the wall time in the account's zone; drop the offset.
      return typeof v === 'string' ? v.slice(0, 19) : '';
    case 'related':
      if (typeof v === 'object' && v !== null && 'resource_uri' in v) return String((v).resource_uri);
      return String(v);
    case 'json':
      return JSON.stringify(v, null, 2);
    default:
      return String(v);
  }
}

/** Input values for a create (defaults) or an edit (the object's values). */
export function initialValues(specs: FieldSpec[], obj: ResourceObject | null): FormValues {
  const values: FormValues = {};
  for (const s of specs) {
    const v = obj ? obj[s.name] : hasDefault(s.field) ? s.field.default : s.kind === 'checkbox' ? false : null;
    values[s.name] = toInput(s, v);
  }
  return values;
}

const INT = /^-?\d+$/;
const DEC = /^-?\d+(\.\d+)?$/;

/**
 * Builds the request body from input values. Empty inputs become null for
 * nullable fields and are left out otherwise (the API then applies its
 * default, or reports the field as required). Returns field errors for
 * values the API would reject anyway.
 */
export function toPayload(specs: FieldSpec[], values: FormValues, mode: 'create' | 'edit'): { body: Record<string, unknown>; errors: FieldErrors } {
  const body: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const s of specs) {
    const raw = values[s.name];
    if (s.kind === 'checkbox') {
      body[s.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? (s.kind === 'json' || s.kind === 'text' ? raw : raw.trim()) : '';
    if (text === '') {
      if (s.field.nullable) body[s.name] = null;
      else if (s.required || (mode === 'edit' && !s.field.blank)) errors[s.name] = ['This field is required.'];
      else if (mode === 'edit' && s.kind === 'text') body[s.name] = '';
      continue;
    }
    switch (s.kind) {
      case 'integer':
        if (!INT.test(text)) errors[s.name] = ['Enter a whole number.'];
        else body[s.name] = Number(text);
        break;
      case 'float':
        if (!Number.isFinite(Number(text))) errors[s.name] = ['Enter a number.'];
        else body[s.name] = Number(text);
        break;
      case 'decimal':
        // Decimals travel as strings (§6).
        if (!DEC.test(text)) errors[s.name] = ['Enter a number such as 12.50.'];
        else body[s.name] = text;
        break;
      case 'datetime':
        body[s.name] = text.length === 16 ? `${text}:00` : text;
        break;
      case 'json':
        try {
          body[s.name] = JSON.parse(text) as unknown;
        } catch {
          errors[s.name] = ['Enter valid JSON.'];
        }
        break;
      case 'text':
        if (s.field.max_length && text.length > s.field.max_length) errors[s.name] = [`Use at most ${s.field.max_length} characters.`];
        else body[s.name] = text;
        break;
      default:
        body[s.name] = text;
    }
  }
  return { body, errors };
}

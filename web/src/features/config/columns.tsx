import { Link } from 'react-router';
import type { ResourceObject, ResourceSchema, SchemaField } from '../../api/types';
import type { RelatedOptions } from '../../components/SchemaForm/SchemaForm';
import type { DataTableColumn } from '../../components/DataTable/DataTable';
import { EMPTY_VALUE, formatApiDateTime, labelize } from '../../lib/format';
import { isSortable } from '../../lib/listParams';

const DISPLAY_FIELDS = ['name', 'title', 'pattern', 'email', 'token'];
export const MAX_COLUMNS = 8;

function pkField(schema: ResourceSchema): string {
  return Object.entries(schema.fields).find(([, f]) => f.primary_key)?.[0] ?? 'id';
}

/** The field whose value links to the detail page: name-like, else the pk. */
export function displayField(schema: ResourceSchema): string {
  return DISPLAY_FIELDS.find((f) => schema.fields[f]?.type === 'string') ?? pkField(schema);
}

export function formatCell(f: SchemaField, v: unknown, related?: RelatedOptions): string {
  if (v === null || v === undefined || v === '') return EMPTY_VALUE;
  switch (f.type) {
    case 'boolean':
      return v === true ? 'Yes' : 'No';
    case 'datetime':
      return typeof v === 'string' ? formatApiDateTime(v) : String(v);
    case 'related': {
      const uri = String(v);
      const known = related?.options.find((o) => o.value === uri);
      if (known) return known.label;
      const pk = /\/([^/]+)\/$/.exec(uri)?.[1];
      return pk ? `#${pk}` : uri;
    }
    case 'dict':
    case 'list':
      return JSON.stringify(v);
    default:
      return String(v);
  }
}

/**
 * Table columns from a schema: the pk, the display field (a link to the
 * record), then other scalar fields alphabetically, at most MAX_COLUMNS.
 */
export function listColumns(
  schema: ResourceSchema,
  options: { detailHref?: ((o: ResourceObject) => string) | undefined; related?: Record<string, RelatedOptions> } = {},
): DataTableColumn<ResourceObject>[] {
  const pk = pkField(schema);
  const display = displayField(schema);
  const rest = Object.entries(schema.fields)
    .filter(([n, f]) => n !== pk && n !== display && n !== 'resource_uri' && f.type !== 'dict' && f.type !== 'list' && f.related_type !== 'to_many')
    .sort(([a, fa], [b, fb]) => Number(fa.readonly) - Number(fb.readonly) || a.localeCompare(b))
    .map(([n]) => n);
  const names = [...new Set([pk, display, ...rest])].slice(0, MAX_COLUMNS);
  return names.flatMap((name) => {
    const f = schema.fields[name];
    if (!f) return [];
    const numeric = f.type === 'integer' || f.type === 'float' || f.type === 'decimal';
    return [
      {
        id: name,
        header: labelize(f.verbose_name || name),
        numeric,
        sortable: isSortable(schema, name),
        cell: (o: ResourceObject) => {
          const text = formatCell(f, o[name], options.related?.[name]);
          if (name === display && options.detailHref) return <Link to={options.detailHref(o)}>{text}</Link>;
          return text;
        },
      },
    ];
  });
}

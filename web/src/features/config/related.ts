import { useQueries } from '@tanstack/react-query';
import { apiFetch } from '../../api/client';
import { queryKeys } from '../../api/hooks';
import { paths, resourceFromSchemaPath } from '../../api/paths';
import type { ListResponse, ResourceObject, ResourceSchema } from '../../api/types';
import type { RelatedOptions } from '../../components/SchemaForm/SchemaForm';

/** How many related objects a select lists before falling back to a text input. */
export const RELATED_LIMIT = 200;

const LABEL_FIELDS = ['name', 'title', 'pattern', 'email', 'token'];

export function objectLabel(o: ResourceObject): string {
  for (const f of LABEL_FIELDS) {
    const v = o[f];
    if (typeof v === 'string' && v !== '') return v;
  }
  return `#${String(o.id ?? o.resource_uri)}`;
}

/** Related (to-one) fields of a schema and the resource each points at. */
export function relatedFields(schema: ResourceSchema | undefined): Array<{ field: string; resource: string }> {
  if (!schema) return [];
  return Object.entries(schema.fields).flatMap(([field, f]) => {
    if (f.type !== 'related' || f.related_type === 'to_many' || !f.related_schema) return [];
    const resource = resourceFromSchemaPath(f.related_schema);
    return resource ? [{ field, resource }] : [];
  });
}

/**
 * Options for every to-one field: the first RELATED_LIMIT objects of the
 * related resource, labelled by their name-like field. Shared by the list
 * (to show names instead of URIs) and the form (selects).
 */
export function useRelatedOptions(schema: ResourceSchema | undefined, account: string): Record<string, RelatedOptions> {
  const fields = relatedFields(schema);
  const results = useQueries({
    queries: fields.map(({ resource }) => {
      const query = new URLSearchParams({ account, limit: String(RELATED_LIMIT), offset: '0' });
      return {
        queryKey: queryKeys.list(resource, query.toString()),
        queryFn: ({ signal }: { signal: AbortSignal }) =>
          apiFetch<ListResponse<ResourceObject>>(paths.list(resource), { query, signal }),
        staleTime: 60_000,
      };
    }),
  });
  const out: Record<string, RelatedOptions> = {};
  fields.forEach(({ field }, i) => {
    const r = results[i];
    if (!r || r.isError) {
      out[field] = { options: [], truncated: true };
      return;
    }
    out[field] = {
      loading: r.isPending,
      truncated: (r.data?.meta.total_count ?? 0) > RELATED_LIMIT,
      options: (r.data?.objects ?? []).map((o) => ({ value: o.resource_uri, label: objectLabel(o) })),
    };
  });
  return out;
}

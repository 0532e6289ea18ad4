import { useCallback, useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { isApiError } from '../../api/client';
import { useResourceList, useSchema } from '../../api/hooks';
import { parseResourceUri } from '../../api/paths';
import type { ResourceObject } from '../../api/types';
import { DataTable } from '../../components/DataTable/DataTable';
import { EmptyState } from '../../components/EmptyState/EmptyState';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { FilterBox } from '../../components/FilterBox/FilterBox';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { Pagination } from '../../components/Pagination/Pagination';
import { accountBase, plural } from '../../lib/accountPath';
import { humanize, labelize, noun } from '../../lib/format';
import {
  listApiQuery,
  PAGE_SIZES,
  readListState,
  searchField,
  sortDirection,
  toggleSort,
  withFirstPage,
  writeListState,
  type ListState,
} from '../../lib/listParams';
import { canWrite, useAccount } from '../auth/AccountContext';
import { listColumns } from './columns';
import { useRelatedOptions } from './related';

export interface ResourceListProps {
  /** Fixed resource (e.g. command-run on the Conductor page); default: from the URL. */
  resource?: string;
  /** No create button and no links to an edit page. */
  readOnly?: boolean;
  title?: string;
  description?: string;
}

/**
 * A list of any model resource, driven by its /schema/: columns from the
 * fields, sorting (order_by), paging (limit/offset) and a filter box, all
 * kept in the URL.
 */
export function ResourceListPage({ resource: fixed, readOnly = false, title, description }: ResourceListProps) {
  const params = useParams();
  const resource = fixed ?? params.resource ?? '';
  const { account } = useAccount();
  const [searchParams, setSearchParams] = useSearchParams();
  const schema = useSchema(resource);
  const state = useMemo(() => (schema.data ? readListState(searchParams, schema.data) : null), [schema.data, searchParams]);
  const query = state && schema.data ? listApiQuery(state, schema.data, account.token) : null;
  const list = useResourceList(resource, query);
  const related = useRelatedOptions(schema.data, account.token);

  const base = `${accountBase(account.token)}/config/${encodeURIComponent(resource)}`;
  const name = humanize(resource);
  const heading = title ?? labelize(plural(name));
  const writable = !readOnly && canWrite(account) && Boolean(schema.data?.allowed_list_http_methods.includes('post'));
  const detailHref = readOnly
    ? undefined
    : (o: ResourceObject) => `${base}/${encodeURIComponent(parseResourceUri(o.resource_uri)?.pk ?? String(o.id))}`;

  const update = useCallback(
    (next: ListState) => {
      if (schema.data) setSearchParams(writeListState(next, schema.data));
    },
    [schema.data, setSearchParams],
  );
  const onFilter = useCallback((q: string) => state && update(withFirstPage(state, { q })), [state, update]);

  if (schema.isPending) return <LoadingState label={`Loading ${plural(noun(resource))}…`} />;
  if (schema.isError) {
    if (isApiError(schema.error) && schema.error.status === 404) {
      return <ErrorState title="Unknown resource" error={new Error(`This server has no resource named “${resource}”.`)} />;
    }
    return <ErrorState error={schema.error} onRetry={() => void schema.refetch()} />;
  }
  if (!state) return null;

  const columns = listColumns(schema.data, { detailHref, related });
  const field = searchField(schema.data);
  const filtered = state.q !== '' || state.filters.length > 0;
  const sortId = state.orderBy[0]?.replace(/^-/, '');
  const dir = sortId ? sortDirection(state.orderBy, sortId) : null;
  const newButton = writable ? (
    <Link className="btn btn-primary" to={`${base}/new`}>
      New {noun(resource)}
    </Link>
  ) : null;

  return (
    <>
      <PageHeader
        title={heading}
        description={description}
        actions={newButton}
        back={fixed ? undefined : <Link to={`${accountBase(account.token)}/config`}>← Configuration</Link>}
      />
      <div className="toolbar">
        {field && (
          <FilterBox
            label={`Filter by ${schema.data.fields[field]?.verbose_name ?? field}`}
            value={state.q}
            onChange={onFilter}
          />
        )}
        {state.filters.length > 0 && (
          <p className="muted" style={{ margin: 0 }}>
            Also filtered by {state.filters.map(([k, v]) => `${k} = ${v}`).join(', ')}.{' '}
            <button type="button" className="btn btn-link" onClick={() => update(withFirstPage(state, { filters: [] }))}>
              Remove these filters
            </button>
          </p>
        )}
      </div>
      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.isPending ? (
        <LoadingState label={`Loading ${plural(noun(resource))}…`} />
      ) : list.data.meta.total_count === 0 && list.data.meta.offset === 0 ? (
        filtered ? (
          <EmptyState
            title={`No ${plural(noun(resource))} match`}
            action={
              <button type="button" className="btn" onClick={() => update(withFirstPage(state, { q: '', filters: [] }))}>
                Clear the filter
              </button>
            }
          >
            Nothing matches {state.q ? `“${state.q}”` : 'these filters'}. Check the spelling or clear the filter.
          </EmptyState>
        ) : (
          <EmptyState title={`No ${plural(noun(resource))} yet`} action={newButton}>
            {writable
              ? `Create the first ${noun(resource)} with “New ${noun(resource)}”.`
              : `There is nothing here yet. ${readOnly ? '' : 'Someone with the editor or admin role can add them.'}`}
          </EmptyState>
        )
      ) : (
        <>
          <DataTable
            caption={heading}
            columns={columns}
            rows={list.data.objects}
            getRowId={(o) => o.resource_uri}
            sort={sortId && dir ? { id: sortId, direction: dir } : null}
            onSort={(id) => update(withFirstPage(state, { orderBy: toggleSort(state.orderBy, id) }))}
            busy={list.isPlaceholderData}
          />
          <Pagination
            offset={state.offset}
            limit={state.limit}
            total={list.data.meta.total_count}
            pageSizes={PAGE_SIZES}
            noun={plural(noun(resource))}
            onChange={(p) => update({ ...state, ...p })}
          />
        </>
      )}
    </>
  );
}

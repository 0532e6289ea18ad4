import {
  keepPreviousData,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from '@tanstack/react-query';
import { ApiError, apiFetch } from './client';
import { paths } from './paths';
import type {
  ApiRoot,
  ListResponse,
  LoginRequest,
  Me,
  ReportResponse,
  ReportSchema,
  ResourceObject,
  ResourceSchema,
} from './types';

/**
 * Query keys. Lists and reports are keyed by the exact query string the page
 * derives from its URL, so the URL is the one source of truth: the same URL
 * gives the same cache entry, and back/forward reuse it.
 */
export const queryKeys = {
  me: ['me'] as const,
  root: ['root'] as const,
  schema: (resource: string) => ['schema', resource] as const,
  lists: (resource: string) => ['list', resource] as const,
  list: (resource: string, query: string) => ['list', resource, query] as const,
  detail: (resource: string, account: string, pk: string) => ['detail', resource, account, pk] as const,
  report: (resource: string, query: string) => ['report', resource, query] as const,
};

/** The signed-in user, or null when the session is missing or expired (401). */
export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: async ({ signal }) => {
      try {
        return await apiFetch<Me>(paths.me, { signal });
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: 5 * 60_000,
  });
}

export function useLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: LoginRequest) => apiFetch<Me>(paths.login, { method: 'POST', body }),
    onSuccess: (me) => {
      qc.setQueryData(queryKeys.me, me);
    },
  });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => apiFetch<void>(paths.logout, { method: 'POST' }),
    onSettled: () => signedOut(qc),
  });
}

/** Forget everything the previous user could see. */
export function signedOut(qc: QueryClient) {
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
  qc.setQueryData(queryKeys.me, null);
}

export function useApiRoot() {
  return useQuery({
    queryKey: queryKeys.root,
    queryFn: ({ signal }) => apiFetch<ApiRoot>(paths.root, { signal }),
    staleTime: Infinity,
  });
}

export function useSchema<S extends ResourceSchema = ResourceSchema>(resource: string | undefined) {
  return useQuery({
    queryKey: queryKeys.schema(resource ?? ''),
    queryFn: ({ signal }) => apiFetch<S>(paths.schema(resource ?? ''), { signal }),
    enabled: Boolean(resource),
    staleTime: Infinity,
  });
}

export function useReportSchema(resource: string | undefined) {
  return useSchema<ReportSchema>(resource);
}

/**
 * A list page. `query` is the full API query string (account included).
 * `T` is the resource's generated type when the caller knows the resource.
 */
export function useResourceList<T = ResourceObject>(resource: string, query: URLSearchParams | null) {
  const qs = query?.toString() ?? '';
  return useQuery({
    queryKey: queryKeys.list(resource, qs),
    queryFn: ({ signal }) => apiFetch<ListResponse<T>>(paths.list(resource), { query: new URLSearchParams(qs), signal }),
    enabled: query !== null,
    placeholderData: keepPreviousData,
  });
}

export function useResourceDetail(resource: string, account: string, pk: string | undefined) {
  return useQuery({
    queryKey: queryKeys.detail(resource, account, pk ?? ''),
    queryFn: ({ signal }) =>
      apiFetch<ResourceObject>(paths.detail(resource, pk ?? ''), { query: { account }, signal }),
    enabled: pk !== undefined,
  });
}

export interface SaveVariables {
  /** Present: PATCH the detail URL; absent: POST to the list. */
  pk?: string;
  body: Record<string, unknown>;
}

export function useSaveResource(resource: string, account: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ pk, body }: SaveVariables) =>
      pk === undefined
        ? apiFetch<ResourceObject>(paths.list(resource), { method: 'POST', query: { account }, body })
        : apiFetch<ResourceObject>(paths.detail(resource, pk), { method: 'PATCH', query: { account }, body }),
    onSuccess: async (obj) => {
      if (obj && obj.id !== undefined) qc.setQueryData(queryKeys.detail(resource, account, String(obj.id)), obj);
      await qc.invalidateQueries({ queryKey: queryKeys.lists(resource) });
    },
  });
}

export function useDeleteResource(resource: string, account: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (pk: string) => apiFetch<void>(paths.detail(resource, pk), { method: 'DELETE', query: { account } }),
    onSuccess: async (_data, pk) => {
      qc.removeQueries({ queryKey: queryKeys.detail(resource, account, pk) });
      await qc.invalidateQueries({ queryKey: queryKeys.lists(resource) });
    },
  });
}

/** Report rows; `query` is the full API query string derived from the URL. */
export function useReport(resource: string | undefined, query: URLSearchParams | null) {
  const qs = query?.toString() ?? '';
  return useQuery({
    queryKey: queryKeys.report(resource ?? '', qs),
    queryFn: ({ signal }) =>
      apiFetch<ReportResponse>(paths.list(resource ?? ''), { query: new URLSearchParams(qs), signal }),
    enabled: Boolean(resource) && query !== null,
    placeholderData: keepPreviousData,
  });
}

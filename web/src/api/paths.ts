/** API paths (§2). Every path ends with a slash: the API redirects otherwise. */
export const API_ROOT = '/api/v1/';

export const paths = {
  root: API_ROOT,
  login: `${API_ROOT}auth/login/`,
  logout: `${API_ROOT}auth/logout/`,
  me: `${API_ROOT}auth/me/`,
  list: (resource: string) => `${API_ROOT}${encodeURIComponent(resource)}/`,
  schema: (resource: string) => `${API_ROOT}${encodeURIComponent(resource)}/schema/`,
  detail: (resource: string, pk: string | number) =>
    `${API_ROOT}${encodeURIComponent(resource)}/${encodeURIComponent(String(pk))}/`,
};

/** Client resources vs control resources (§1): control ones read the control database. */
export const CONTROL_RESOURCES = new Set(['account', 'user', 'membership', 'connection', 'command-run']);

export function isReportResource(name: string): boolean {
  return name.startsWith('report-');
}

/** `/api/v1/channel/3/` → `{ resource: 'channel', pk: '3' }`, or null. */
export function parseResourceUri(uri: string): { resource: string; pk: string } | null {
  const m = /^\/api\/v1\/([^/]+)\/([^/]+)\/$/.exec(uri);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  return { resource: decodeURIComponent(m[1]), pk: decodeURIComponent(m[2]) };
}

/** `/api/v1/channel/schema/` → `channel`. */
export function resourceFromSchemaPath(path: string): string | null {
  const m = /^\/api\/v1\/([^/]+)\/schema\/$/.exec(path);
  return m?.[1] !== undefined ? decodeURIComponent(m[1]) : null;
}

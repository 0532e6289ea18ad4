// Paths inside an account: /a/<token>/<section>/… The account is part of the
// URL so that links, bookmarks and browser history keep it.

export function accountBase(token: string): string {
  return `/a/${encodeURIComponent(token)}`;
}

/**
 * Where to go when switching to another account from `pathname`: the same
 * section (and resource list, or report: every account has the same
 * catalogue), but never a record's detail page, since records belong to one
 * account.
 */
export function switchAccountPath(pathname: string, token: string): string {
  const m = /^\/a\/[^/]+\/?(.*)$/.exec(pathname);
  const rest = (m?.[1] ?? '').split('/').filter(Boolean);
  const keep = rest[0] === 'config' || rest[0] === 'reports' ? rest.slice(0, 2) : rest.slice(0, 1);
  return [accountBase(token), ...keep].join('/');
}

/** A `next` parameter is followed only if it is a path inside the dash. */
export function safeNext(next: string | null): string | null {
  if (!next || !next.startsWith('/a/') || next.startsWith('//') || next.includes('\\')) return null;
  return next;
}

/** Simple English plural for resource names in headings. */
export function plural(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

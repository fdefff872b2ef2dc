// Pagination helpers. Every vendor style reduces to "fetch a page, get items and the next token":
// search_after (ES sort values), offset/limit (CrowdStrike queries, MDE $skip), cursor (CS `after`,
// S1 nextCursor) and nextLink (Graph @odata.nextLink).

export interface Page<T, C> {
  items: T[];
  /** The token for the next page; undefined when this was the last page. */
  next: C | undefined;
}

export interface PageLimits {
  /** Stop after this many pages (guards against a vendor that never ends). */
  maxPages?: number;
  /** Stop once this many items are collected. */
  maxItems?: number;
}

export interface Collected<T> {
  items: T[];
  pages: number;
  /** True when a limit stopped the walk before the vendor's last page. */
  truncated: boolean;
}

/** Walks pages from `first` until the vendor says there is no next page or a limit is reached. */
export async function collectPages<T, C>(
  fetchPage: (token: C | undefined) => Promise<Page<T, C>>,
  limits: PageLimits = {},
  first?: C,
): Promise<Collected<T>> {
  const maxPages = limits.maxPages ?? 50;
  const maxItems = limits.maxItems ?? 10_000;
  const items: T[] = [];
  let token: C | undefined = first;
  let pages = 0;
  for (;;) {
    const page = await fetchPage(token);
    pages += 1;
    items.push(...page.items);
    if (page.next === undefined || page.items.length === 0) return { items, pages, truncated: false };
    if (pages >= maxPages || items.length >= maxItems) return { items: items.slice(0, maxItems), pages, truncated: true };
    token = page.next;
  }
}

/** search_after: the next token is the last hit's sort array; a short page ends the walk. */
export function searchAfterPage<H extends { sort?: unknown[] }>(hits: H[], pageSize: number): Page<H, unknown[]> {
  const last = hits[hits.length - 1];
  return { items: hits, next: hits.length >= pageSize && last?.sort ? last.sort : undefined };
}

/** offset/limit with a total: the next token is the next offset while it is below the total. */
export function offsetPage<T>(items: T[], offset: number, total: number | undefined): Page<T, number> {
  const nextOffset = offset + items.length;
  const more = total !== undefined ? nextOffset < total : items.length > 0;
  return { items, next: more && items.length > 0 ? nextOffset : undefined };
}

/** cursor / nextLink: the vendor hands the next token (or URL) directly; empty means done. */
export function cursorPage<T>(items: T[], next: string | null | undefined): Page<T, string> {
  return { items, next: next ? next : undefined };
}

/**
 * Config search (docs/protocol/config.md §3.6): accurate (exact match on the given fields) and blur
 * (Nacos' SQL LIKE: `*` becomes `%`; `%` matches any run and `_` any one character), with paging.
 * Pure functions over the formal records.
 */
import type { ConfigRecord, Page, SearchQuery } from './types.js';

const likeCache = new Map<string, RegExp>();

/** Nacos' blur pattern as a regex: `*` and `%` any run, `_` any one character, the rest literal. */
export function likePattern(pattern: string): RegExp {
  let re = likeCache.get(pattern);
  if (!re) {
    const body = [...pattern.replace(/\*/g, '%')]
      .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.+?^${}()|[\]\\*]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, 's');
    if (likeCache.size > 1000) likeCache.clear();
    likeCache.set(pattern, re);
  }
  return re;
}

/** One page of `items` (pageNo from 1). */
export function pageOf<T>(items: readonly T[], pageNo: number, pageSize: number): Page<T> {
  const size = Math.max(1, Math.floor(pageSize));
  const no = Math.max(1, Math.floor(pageNo));
  const start = (no - 1) * size;
  return { totalCount: items.length, pageNumber: no, pagesAvailable: Math.ceil(items.length / size), pageItems: items.slice(start, start + size) };
}

const byId = (a: ConfigRecord, b: ConfigRecord): number => Number(a.id) - Number(b.id);

/** The records of `q.tenant` matching `q`, by id, paged. */
export function searchRecords(records: Iterable<ConfigRecord>, q: SearchQuery): Page<ConfigRecord> {
  const blur = q.mode === 'blur';
  const text = (value: string, wanted: string | undefined): boolean => {
    if (wanted === undefined || wanted === '') return true;
    return blur ? likePattern(wanted).test(value) : value === wanted;
  };
  const tags = q.configTags?.filter((t) => t !== '') ?? [];
  const types = q.type?.filter((t) => t !== '') ?? [];
  const hits: ConfigRecord[] = [];
  for (const r of records) {
    if (r.tenant !== q.tenant) continue;
    if (!text(r.dataId, q.dataId) || !text(r.group, q.group) || !text(r.appName, q.appName)) continue;
    if (q.content !== undefined && q.content !== '' && !likePattern(q.content).test(r.content)) continue;
    if (tags.length > 0 && !r.configTags.some((t) => tags.includes(t))) continue;
    if (types.length > 0 && !types.includes(r.type)) continue;
    hits.push(r);
  }
  hits.sort(byId);
  return pageOf(hits, q.pageNo, q.pageSize);
}

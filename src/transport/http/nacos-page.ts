/**
 * Nacos 3's `Page<T>` answer and `PageForm` parameters (docs/protocol/nacos3.md §0.5 "Paging"):
 * `pagesAvailable` is `totalCount / pageSize + 1` (integer division; an exact multiple reports one
 * page too many, as Nacos does) and 0 for an empty list; `pageNo` / `pageSize` default to 1 / 100
 * and must be positive.
 */
import { z } from 'zod';
import { invalid } from './fields.js';
import { javaInt, numberFormatMessage } from './params.js';

export interface NacosPage<T> {
  totalCount: number;
  pageNumber: number;
  pagesAvailable: number;
  pageItems: T[];
}

/** One page of `list` in Nacos' `Page` shape (`PageUtil.subPage`). */
export function nacosPage<T>(list: readonly T[], pageNo: number, pageSize: number): NacosPage<T> {
  if (list.length === 0) return { totalCount: 0, pageNumber: pageNo, pagesAvailable: 0, pageItems: [] };
  const start = (pageNo - 1) * pageSize;
  return {
    totalCount: list.length,
    pageNumber: pageNo,
    pagesAvailable: Math.floor(list.length / pageSize) + 1,
    pageItems: start >= list.length ? [] : list.slice(start, start + pageSize),
  };
}

/** A `PageForm` field: an int (default `dflt`) that must be ≥ 1 (`PageForm.validate()`). */
const positive = (name: string, dflt: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx): number => {
      if (v === undefined) return dflt;
      const n = javaInt(v);
      if (n === null) return invalid(ctx, numberFormatMessage(v));
      if (n < 1) return invalid(ctx, `Required parameter '${name}' should be positive integer, current is ${n}`);
      return n;
    });

export const PageFormSchema = z.object({ pageNo: positive('pageNo', 1), pageSize: positive('pageSize', 100) });

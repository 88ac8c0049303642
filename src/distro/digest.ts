import { fnv1a32 } from './hash.js';
import type { Stamp } from './hlc.js';

/** Verify bucket of a client id. */
export function bucketOf(clientId: string, buckets: number): number {
  return fnv1a32(clientId) % buckets;
}

/** 32-bit hash of one client's state as verify sees it. */
export function itemHash(clientId: string, s: Stamp): number {
  return fnv1a32(`${clientId}|${s.version}|${s.writer}`);
}

/** Per-bucket [count, sum of item hashes mod 2^32]; only non-empty buckets. */
export function bucketDigests(items: Iterable<{ id: string; stamp: Stamp }>, buckets: number): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const { id, stamp } of items) {
    const b = bucketOf(id, buckets);
    const d = out.get(b);
    const h = itemHash(id, stamp);
    if (d) {
      d[0]++;
      d[1] = (d[1] + h) >>> 0;
    } else out.set(b, [1, h]);
  }
  return out;
}

/** Small, dependency-free 32-bit hashes used by Distro. Pure functions. */

/**
 * Java `String.hashCode()`: `h = 31*h + c` over UTF-16 code units with 32-bit wrap-around
 * (docs/protocol/distro.md §2.2). Returns a signed 32-bit integer, exactly as Java does.
 */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** FNV-1a over UTF-16 code units, unsigned 32-bit. Used for verify buckets and digests (not for ownership). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A full garbage collection after the member handled a large persistent image (issue 16;
 * docs/config-center.md "Memory"): at the end of a start that restored one, and after a Raft log
 * compaction wrote one. Reading, decoding or encoding the image leaves several times its size in
 * garbage (file buffers, the image string, parse intermediates, a grown young generation) that V8
 * does not collect while the member is idle: for 10,000 configs × 1 KB the RSS stayed ≈ 90 MB above
 * the live heap until the next major GC. Node has no GC call without `--expose-gc`: the flag is set
 * at run time and `gc` is taken from a new context (where it then exists). One pause, of the order
 * of the compaction's own (docs/config-center.md "Memory" has the figures).
 */
import { setFlagsFromString } from 'node:v8';
import { performance } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';

/** Below this many characters of image the garbage is not worth a pause. */
export const RELEASE_MIN_CHARS = 4 * 1024 * 1024;

let gc: (() => void) | null | undefined;

function gcFunction(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    const f: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    gc = typeof f === 'function' ? (f as () => void) : null;
  } catch {
    gc = null;
  }
  return gc;
}

/**
 * Runs `passes` full GCs when `imageChars` is large: their duration in ms, or null if it did not
 * (small image, or no GC available).
 */
export function releaseGarbage(imageChars: number, passes: 1 | 2 = 2): number | null {
  if (imageChars < RELEASE_MIN_CHARS) return null;
  const f = gcFunction();
  if (!f) return null;
  const t0 = performance.now();
  // Two full GCs: after one, V8 still holds the freed old-space pages and the external strings it
  // found dead (the image); the second releases them. Measured on 10,000 configs after the fill's
  // compaction: RSS 243 MiB with one GC, 174 MiB with two (docs/config-center.md "Memory").
  f();
  if (passes === 2) f();
  return performance.now() - t0;
}

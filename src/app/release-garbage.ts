/**
 * A full garbage collection after the member handled a large persistent image (issue 16;
 * docs/config-center.md "Memory"): at the end of a start that restored one, and after a Raft log
 * compaction wrote one (once the member is idle: IdleGarbageRelease below). Reading, decoding or encoding the image leaves several times its size in
 * garbage (file buffers, the image string, parse intermediates, a grown young generation) that V8
 * does not collect while the member is idle: for 10,000 configs × 1 KB the RSS stayed ≈ 90 MB above
 * the live heap until the next major GC. Node has no GC call without `--expose-gc`: the flag is set
 * at run time and `gc` is taken from a new context (where it then exists). One pause, of the order
 * of the compaction's own (docs/config-center.md "Memory" has the figures).
 */
import { setFlagsFromString } from 'node:v8';
import { performance } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';

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
  return fullGc(passes);
}

/** Runs `passes` full GCs now: their duration in ms, or null if no GC is available. */
export function fullGc(passes: 1 | 2): number | null {
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

/** V8 judges the allocation rate over the last 5 s of GCs; the second step waits a little longer. */
export const READY_GC_SETTLE_MS = 6000;

export interface ReadyGcOptions {
  clock: Clock;
  /** -1: off. */
  delayMs: number;
  log: Pick<Logger, 'info' | 'debug'>;
  /** CPU time used by the process so far, ms (process.cpuUsage). */
  cpuMs?: () => number;
  /** Called when the last step ran or was skipped (tests). */
  done?: (released: boolean) => void;
}

/**
 * Idle memory after start (issue 14; docs/benchmarks.md "Idle memory (issue 14, 2026-12-07)"):
 * loading the modules and starting the member allocate in a burst, which grows V8's young
 * generation to its maximum (2 × 16 MiB semi-spaces, nearly empty once started) and leaves the
 * start-up garbage in the old generation; an idle member allocates too little to ever trigger the
 * GCs that would give them back, so ~20 MiB stay resident. V8 shrinks the young generation only in
 * a GC that sees a low allocation rate, which it measures between GCs over ~5 s. So: one full GC
 * `delayMs` after ready (the start-up garbage; it also starts V8's measurement), then, if the member
 * stayed idle for READY_GC_SETTLE_MS (under 5 % of a core), two more: the first shrinks the young
 * generation, the second lets V8 release the freed pages (one alone left RSS unchanged, measured).
 * A busy member skips them: under load the young generation is meant to be large. Returns a
 * cancel function (stop() before the timers fired).
 */
export function scheduleReadyGc(o: ReadyGcOptions): () => void {
  const cpuMs = o.cpuMs ?? (() => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; });
  if (o.delayMs < 0) return () => undefined;
  let timer = o.clock.setTimeout(() => {
    const first = fullGc(1);
    if (first === null) return o.done?.(false);
    const cpu0 = cpuMs();
    timer = o.clock.setTimeout(() => {
      if (cpuMs() - cpu0 > READY_GC_SETTLE_MS * 0.05) {
        o.log.debug({}, 'member busy after ready: young generation left as it is');
        return o.done?.(false);
      }
      const ms = fullGc(2) ?? 0;
      o.log.info({ gcMs: Math.round(first + ms) }, 'released the start-up garbage and the young generation (full GCs after ready)');
      o.done?.(true);
    }, READY_GC_SETTLE_MS);
  }, o.delayMs);
  return () => timer.cancel();
}

/** How often a pending release checks whether the member went idle, and the CPU share that counts as idle. */
export const IDLE_CHECK_MS = 1000;
export const IDLE_CPU_SHARE = 0.1;

export interface IdleReleaseOptions {
  clock: Clock;
  log: Pick<Logger, 'info'>;
  /** CPU time used by the process so far, ms (process.cpuUsage). */
  cpuMs?: () => number;
  /** The full GCs (tests count them); default fullGc. */
  gc?: (passes: 1 | 2) => number | null;
}

/**
 * The garbage of a large compaction image, released when the member is next idle (issue 14;
 * docs/raft.md "Compaction under load"). Two full GCs right after every large compaction stalled a
 * loaded member for about a second each time (three members on one core under persistent-write
 * load: `gcMs` 1,032–1,260 per member, every 10,000 writes); a busy member's own GCs collect that
 * garbage anyway, and the RSS it leaves matters only once the member goes quiet. So a large
 * compaction only marks the release as pending, and a timer looks every IDLE_CHECK_MS: when the
 * process used less than IDLE_CPU_SHARE of a core since the last look, the GCs run (once, however
 * many compactions were pending), else it looks again.
 */
export class IdleGarbageRelease {
  private timer: TimerHandle | null = null;
  private pending: object | null = null;
  private readonly cpuMs: () => number;
  private readonly gc: (passes: 1 | 2) => number | null;

  constructor(private readonly o: IdleReleaseOptions) {
    this.cpuMs = o.cpuMs ?? (() => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; });
    this.gc = o.gc ?? fullGc;
  }

  /** A compaction (or restore) left an image of `imageChars` behind; `about` goes into the log line. */
  request(imageChars: number, about: object): void {
    if (imageChars < RELEASE_MIN_CHARS) return;
    this.pending = { ...about, imageChars };
    if (this.timer === null) this.look(this.cpuMs());
  }

  /** True while a release waits for the member to go idle (tests). */
  get waiting(): boolean {
    return this.pending !== null;
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.pending = null;
  }

  private look(cpuAtStart: number): void {
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      const cpu = this.cpuMs();
      if (cpu - cpuAtStart > IDLE_CHECK_MS * IDLE_CPU_SHARE) return this.look(cpu);
      const about = this.pending;
      this.pending = null;
      const ms = this.gc(2);
      if (ms !== null) this.o.log.info({ ...about, gcMs: Math.round(ms) }, 'released the garbage of a large persistent image (full GC, member idle)');
    }, IDLE_CHECK_MS);
  }
}

/**
 * An in-memory disk for the Raft simulator, implementing the RaftFs interface of the durable
 * storage with the crash semantics of a real file system under power loss:
 *
 * - file contents survive a crash only up to the last completed `sync()`; of the bytes appended
 *   since, a random prefix survives, possibly followed by zeros (size extended, data not written)
 *   or with its very last byte garbled — a torn tail;
 * - creations, renames and removals survive only once `syncDir()` of the directory completed: a
 *   file created since is lost, a removed file comes back, a renamed file has its old name;
 * - `sync()` / `syncDir()` take simulated time (via `schedule`), so a crash can hit a write whose
 *   fsync has not completed; after a crash, operations of the old incarnation never complete.
 *
 * Everything else completes immediately (as a resolved promise), so the simulator stays
 * deterministic: it drains microtasks between events.
 */
import type { RaftFile, RaftFs } from '../../src/raft/index.js';
import type { Rng } from './prng.js';

class Inode {
  data: Buffer = Buffer.alloc(0);
  /** Content as of the last completed sync. */
  synced: Buffer = Buffer.alloc(0);
}

function parent(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export interface SimDiskStats {
  crashes: number;
  tornBytes: number;
  zeroTails: number;
  garbledTails: number;
  lostFiles: number;
  resurrectedFiles: number;
}

export class SimDisk implements RaftFs {
  private visible = new Map<string, Inode>();
  /** The namespace as of the last syncDir of each directory. */
  private durable = new Map<string, Inode>();
  private readonly dirs = new Set<string>();
  private epoch = 0;
  readonly stats: SimDiskStats = { crashes: 0, tornBytes: 0, zeroTails: 0, garbledTails: 0, lostFiles: 0, resurrectedFiles: 0 };
  /** Called when an fsync of a file starts (the simulator uses it to aim power losses at writes in flight). */
  onSync: (() => void) | null = null;

  constructor(
    private readonly rng: Rng,
    /** Runs `fn` after `ms` of simulated time (dropped if the owner crashes meanwhile). */
    private readonly schedule: (ms: number, fn: () => void) => void,
    private readonly maxSyncMs = 3,
    /** Mutation for the simulator's self-test: sync() of log segments (*.seg) completes without making anything durable. */
    private readonly lies = false,
  ) {}

  /** Resolves now, or never if the disk crashed since the caller's incarnation started. */
  private op<T>(epoch: number, fn: () => T): Promise<T> {
    if (epoch !== this.epoch) return never<T>();
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private slow(epoch: number, fn: () => void): Promise<void> {
    if (epoch !== this.epoch) return never<void>();
    return new Promise<void>((resolve) => {
      this.schedule(this.rng.int(0, this.maxSyncMs), () => {
        if (epoch !== this.epoch) return;
        fn();
        resolve();
      });
    });
  }

  private need(path: string): Inode {
    const f = this.visible.get(path);
    if (!f) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return f;
  }

  mkdir(path: string): Promise<void> {
    return this.op(this.epoch, () => {
      for (let p = path; p !== '/' && p !== '.' && p !== ''; p = parent(p)) this.dirs.add(p);
    });
  }

  readdir(path: string): Promise<string[]> {
    return this.op(this.epoch, () => {
      if (!this.dirs.has(path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return [...this.visible.keys()].filter((p) => parent(p) === path).map((p) => p.slice(path.length + 1));
    });
  }

  readFile(path: string): Promise<Buffer> {
    return this.op(this.epoch, () => Buffer.from(this.need(path).data));
  }

  /** What a read right now returns (the storage reads its snapshot image on demand with it). */
  readFileSync(path: string): Buffer {
    return Buffer.from(this.need(path).data);
  }

  open(path: string, mode: 'create' | 'existing'): Promise<RaftFile> {
    const epoch = this.epoch;
    return this.op(epoch, () => {
      let f = this.visible.get(path);
      if (mode === 'existing') f = this.need(path);
      else if (f) f.data = Buffer.alloc(0);
      else {
        if (!this.dirs.has(parent(path))) throw Object.assign(new Error(`ENOENT: ${parent(path)}`), { code: 'ENOENT' });
        f = new Inode();
        this.visible.set(path, f);
      }
      const inode = f;
      return {
        write: (data: Buffer, position: number) =>
          this.op(epoch, () => {
            const end = position + data.length;
            if (end > inode.data.length) {
              const grown = Buffer.alloc(end);
              inode.data.copy(grown);
              inode.data = grown;
            }
            data.copy(inode.data, position);
          }),
        sync: () => {
          if (epoch === this.epoch) this.onSync?.();
          return this.slow(epoch, () => void ((this.lies && path.endsWith('.seg')) || (inode.synced = Buffer.from(inode.data))));
        },
        truncate: (length: number) =>
          this.op(epoch, () => {
            inode.data = Buffer.from(inode.data.subarray(0, length));
          }),
        close: () => this.op(epoch, () => undefined),
      };
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.op(this.epoch, () => {
      const f = this.need(from);
      this.visible.delete(from);
      this.visible.set(to, f);
    });
  }

  unlink(path: string): Promise<void> {
    return this.op(this.epoch, () => {
      this.need(path);
      this.visible.delete(path);
    });
  }

  syncDir(path: string): Promise<void> {
    return this.slow(this.epoch, () => {
      for (const p of [...this.durable.keys()]) if (parent(p) === path) this.durable.delete(p);
      for (const [p, f] of this.visible) if (parent(p) === path) this.durable.set(p, f);
    });
  }

  /** The files currently visible under `dir`, with their contents (for fault injection). */
  filesIn(dir: string): { path: string; data: Buffer }[] {
    return [...this.visible.entries()].filter(([p]) => parent(p) === dir).map(([path, f]) => ({ path, data: Buffer.from(f.data) }));
  }

  /** Bit rot: flips the byte at `offset` of `path` in the durable content too (a crash does not undo it). */
  corrupt(path: string, offset: number): void {
    const f = this.need(path);
    for (const b of [f.data, f.synced]) if (offset < b.length) b[offset] = b[offset]! ^ 0xff;
  }

  /** Power loss: only synced state survives, plus a random torn prefix of unsynced appends. */
  crash(): void {
    this.epoch++;
    this.stats.crashes++;
    for (const p of this.visible.keys()) if (!this.durable.has(p)) this.stats.lostFiles++;
    for (const [p, f] of this.durable) if (this.visible.get(p) !== f) this.stats.resurrectedFiles++;
    for (const f of new Set(this.durable.values())) f.data = this.tear(f);
    this.visible = new Map(this.durable);
    for (const f of this.visible.values()) f.synced = Buffer.from(f.data);
  }

  private tear(f: Inode): Buffer {
    const { data, synced } = f;
    const appended = data.length > synced.length && data.subarray(0, synced.length).equals(synced);
    if (!appended) return Buffer.from(synced); // rewritten or truncated since the last sync: the old content
    const pending = data.length - synced.length;
    const keep = this.rng.int(0, pending);
    this.stats.tornBytes += pending - keep;
    const out = Buffer.from(data.subarray(0, synced.length + keep));
    const r = this.rng.next();
    if (r < 0.2 && keep > 0) {
      // The last surviving byte is garbage (a torn sector).
      out[out.length - 1] = (out[out.length - 1]! + 1 + this.rng.int(0, 254)) & 0xff;
      this.stats.garbledTails++;
    } else if (r < 0.4 && keep < pending) {
      // The size was extended but the data never made it: zeros.
      this.stats.zeroTails++;
      return Buffer.concat([out, Buffer.alloc(this.rng.int(1, pending - keep))]);
    }
    return out;
  }
}

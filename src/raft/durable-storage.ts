/**
 * Durable RaftStorage: segment files for the log and hard state, one snapshot file, all under one
 * directory (layout and crash-safety argument in docs/raft.md, "Durable storage"). Reads are served
 * from an in-memory MemoryRaftStorage that is updated only after the corresponding bytes are
 * fsynced, so the read side always equals what a restart would recover.
 */
import { nextTurn } from '../core/clock.js';
import { dirname, join } from 'node:path';
import { nodeRaftFs, withoutSync, type RaftFs } from './disk/fs.js';
import { encodeEntry, encodeHardState, encodeSnapMark, RaftStorageCorruptError } from './disk/record-codec.js';
import { SegmentLog, type TornTail } from './disk/segment-log.js';
import { loadNewestSnapshot, readSnapshotImage, readSnapshotImageBytes, removeOlderSnapshots, writeSnapshotFile, writeSnapshotFileSliced, type RaftStorageLogger } from './disk/snapshot-file.js';
import { MemoryRaftStorage, SnapshotUnavailableError, UnavailableError, type RaftStorage } from './storage.js';
import { sameHardState, type ConfState, type Entry, type HardState, type Snapshot } from './types.js';
import { imageText, isFresh, type SnapshotImage } from './log-store.js';

export { RaftStorageCorruptError } from './disk/record-codec.js';
export type { RaftFs, RaftFile } from './disk/fs.js';
export type { RaftStorageLogger } from './disk/snapshot-file.js';

export interface DurableRaftStorageOptions {
  /** Membership of a brand-new store (ignored when the directory already holds one). */
  initialConf?: ConfState;
  /** A segment that reached this size is closed and the next write starts a new one. Default 64 MiB. */
  segmentBytes?: number;
  /**
   * Zero-filled bytes kept ahead of the log's write position, so appends overwrite allocated space
   * instead of growing the file (disk/segment-log.ts). Default 0 (off); members use
   * `nomen.raft.log.preallocate-bytes`.
   */
  preallocateBytes?: number;
  /** false: never fsync (tests and benchmarks only — not crash-safe). Default true. */
  fsync?: boolean;
  logger?: RaftStorageLogger;
  /** File-system implementation (the simulator injects an in-memory disk). Default node:fs. */
  fs?: RaftFs;
  /**
   * Lets the event loop run between two pieces of a large snapshot image while its file is
   * written (disk/snapshot-file.ts `writeSnapshotFileSliced`). Default: the next `setImmediate` turn.
   */
  yieldTurn?: () => Promise<void>;
  /**
   * After the first call (the restore at open), `snapshot()` hands out the snapshot without its
   * image (`Snapshot.imageInStorage`) instead of reading and decoding the file on the event loop;
   * the sender reads it with `snapshotImageBytes` (docs/raft.md "Snapshot transfer"). For a host
   * whose transport does that (RaftLink); off by default. Needs a file system with `readFileSync`
   * (otherwise the image is in memory anyway).
   */
  lazySnapshotImages?: boolean;
}

export interface PersistBatch {
  snapshot?: Snapshot | null;
  entries: readonly Entry[];
  hardState?: HardState | null;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const noLog: RaftStorageLogger = { info() {}, warn() {} };

function checkNumber(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`raft storage: ${what} ${n} is not a non-negative safe integer`);
}

export class DurableRaftStorage implements RaftStorage {
  /** Serializes persist / compact / close. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Set after an I/O error: the disk state is unknown, the host must reopen (restart). */
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    private readonly fs: RaftFs,
    private readonly snapDir: string,
    private readonly log: SegmentLog,
    private readonly mem: MemoryRaftStorage,
    /** What recovery found and repaired at the end of the log (null: the log ended cleanly). */
    readonly tornTail: TornTail | null,
    /**
     * The file system reads synchronously: the snapshot image is not held in memory (`mem` holds
     * the snapshot with an empty image) but read from its file by `snapshot()`.
     */
    private readonly imageOnDisk: boolean,
    /** The image decoded at open, kept only until `snapshot()` first hands it out (the restore). */
    private image: string | null,
    private readonly yieldTurn: () => Promise<void>,
    /** See DurableRaftStorageOptions.lazySnapshotImages. */
    private readonly lazyImages: boolean,
  ) {}

  /**
   * Opens (creating if absent) the storage under `dir` (`dir/log/*.seg`, `dir/snapshot/*.snap`),
   * recovers it and returns it. A torn tail of the last segment is truncated and logged; any other
   * damage throws RaftStorageCorruptError naming the file and byte offset.
   */
  static async open(dir: string, opts: DurableRaftStorageOptions = {}): Promise<DurableRaftStorage> {
    const base = opts.fs ?? nodeRaftFs;
    const fs = opts.fsync === false ? withoutSync(base) : base;
    const logger = opts.logger ?? noLog;
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) throw new RangeError(`raft storage: bad segmentBytes ${segmentBytes}`);
    const prealloc = opts.preallocateBytes ?? 0;
    if (!Number.isSafeInteger(prealloc) || prealloc < 0) throw new RangeError(`raft storage: bad preallocateBytes ${prealloc}`);
    const logDir = join(dir, 'log');
    const snapDir = join(dir, 'snapshot');
    await fs.mkdir(logDir);
    await fs.mkdir(snapDir);

    let snap = await loadNewestSnapshot(fs, snapDir, logger);
    if (!snap) {
      if ((await fs.readdir(logDir)).some((n) => n.endsWith('.seg'))) {
        throw new RaftStorageCorruptError(snapDir, 0, 'no snapshot file, but the log has segments (a snapshot file always exists once the store is created)');
      }
      // A new store: its membership is recorded as the index-0 snapshot.
      const conf = opts.initialConf ?? { voters: [], learners: [] };
      snap = { meta: { index: 0, term: 0, conf: { voters: [...conf.voters], learners: [...conf.learners] } }, data: '' };
      await writeSnapshotFile(fs, snapDir, snap);
      await fs.syncDir(dir);
      await fs.syncDir(dirname(dir));
      logger.info({ dir }, 'raft storage: created a new store');
    }
    const rec = await SegmentLog.open(fs, logDir, snap.meta.index, segmentBytes, logger, prealloc);
    const mem = new MemoryRaftStorage(snap.meta.conf);
    const imageOnDisk = fs.readFileSync !== undefined;
    mem.applySnapshot(imageOnDisk ? { meta: snap.meta, data: '' } : snap);
    mem.append(rec.entries);
    mem.setHardState(rec.hardState);
    if (rec.hardState.commit > mem.lastIndex()) {
      await rec.log.close();
      throw new RaftStorageCorruptError(logDir, 0, `hard state commit ${rec.hardState.commit} is past the last log index ${mem.lastIndex()}`);
    }
    return new DurableRaftStorage(fs, snapDir, rec.log, mem, rec.tornTail, imageOnDisk, imageOnDisk && snap.meta.index > 0 ? snap.data : null, opts.yieldTurn ?? nextTurn, imageOnDisk && opts.lazySnapshotImages === true);
  }

  // ---- RaftStorage (read side, from memory) ----------------------------------------------------

  initialState(): { hardState: HardState; confState: ConfState } {
    return this.mem.initialState();
  }

  entries(lo: number, hi: number): Entry[] {
    return this.mem.entries(lo, hi);
  }

  term(i: number): number {
    return this.mem.term(i);
  }

  firstIndex(): number {
    return this.mem.firstIndex();
  }

  lastIndex(): number {
    return this.mem.lastIndex();
  }

  /**
   * The snapshot with its image. The image decoded at open is handed out once (to the state
   * machine's restore) and then dropped; later calls (a follower that needs the snapshot) read it
   * from the snapshot file, which exists for as long as it is the newest (docs/raft.md).
   */
  snapshot(): Snapshot {
    const s = this.mem.snapshot();
    if (!this.imageOnDisk || s.meta.index === 0) return s;
    const held = this.image;
    this.image = null;
    if (held !== null) return { meta: s.meta, data: held };
    if (this.lazyImages) return { meta: s.meta, data: '', imageInStorage: true };
    try {
      return { meta: s.meta, data: readSnapshotImage(this.fs, this.snapDir, s.meta.index) };
    } catch (e) {
      throw new SnapshotUnavailableError(`raft storage: snapshot ${s.meta.index} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  hardState(): HardState {
    return this.mem.hardState();
  }

  /**
   * The image of the snapshot at `index` (the newest) as UTF-8 bytes: read on the thread pool and
   * checksummed a slice per turn (docs/raft.md "Snapshot transfer"). Not queued behind writes: a
   * compaction that replaces the file meanwhile makes it reject (the sender then reports the
   * snapshot lost and the core sends the newer one).
   */
  async snapshotImageBytes(index: number): Promise<Buffer> {
    if (this.closed) throw new Error('raft storage: closed');
    const current = this.mem.firstIndex() - 1;
    if (index !== current) throw new SnapshotUnavailableError(`raft storage: snapshot ${index} is not the newest (${current})`);
    if (!this.imageOnDisk) return Buffer.from(this.mem.snapshot().data, 'utf8');
    return readSnapshotImageBytes(this.fs, this.snapDir, index, this.yieldTurn);
  }

  /** Segment files currently holding the log (oldest first); for tests and metrics. */
  segmentFiles(): string[] {
    return this.log.segmentFiles();
  }

  // ---- writes ----------------------------------------------------------------------------------

  /**
   * Persists one Ready: snapshot (if newer than ours; replaces everything), entries (truncating a
   * conflicting suffix), hard state — one write and one fdatasync of the log (plus the snapshot
   * file's own atomic write). Resolves when durable; the read side reflects the batch from then on.
   * An invalid batch (gap, bad numbers) rejects before anything is written.
   */
  persist(p: PersistBatch): Promise<void> {
    return this.enqueue(() => this.doPersist(p));
  }

  /**
   * Host-side compaction at an applied `index` with the state-machine image `data` (one string or
   * its slices): writes the snapshot file atomically, a piece per event-loop turn and never joining
   * the slices (docs/raft.md "Compaction under load"), then drops log entries ≤ index (whole old
   * segments are deleted).
   */
  compact(index: number, data: SnapshotImage, conf: ConfState): Promise<void> {
    return this.enqueue(async () => {
      checkNumber('compaction index', index);
      if (index <= this.mem.firstIndex() - 1) return;
      if (index > this.mem.lastIndex()) throw new UnavailableError(index);
      const meta = { index, term: this.mem.term(index), conf: { voters: [...conf.voters], learners: [...conf.learners] } };
      await this.io(async () => {
        await writeSnapshotFileSliced(this.fs, this.snapDir, meta, typeof data === 'string' ? [data] : data, this.yieldTurn);
        // Without a synchronous read the image is held in memory, as one string.
        this.mem.compact(index, this.imageOnDisk ? '' : imageText(data), conf);
        this.image = null;
        await removeOlderSnapshots(this.fs, this.snapDir, index);
        await this.log.dropThrough(index);
      });
    });
  }

  /**
   * First start of a member whose membership was not known at open: records `conf` as the
   * configuration of the index-0 snapshot (atomic rewrite of that file). Only for a store that
   * holds no configuration and no entry yet.
   */
  bootstrap(conf: ConfState): Promise<void> {
    return this.enqueue(async () => {
      if (!isFresh(this.mem)) throw new Error('raft storage: bootstrap of a store that already has a configuration or entries');
      const snapshot: Snapshot = { meta: { index: 0, term: 0, conf: { voters: [...conf.voters], learners: [...conf.learners] } }, data: '' };
      await this.io(async () => {
        await writeSnapshotFile(this.fs, this.snapDir, snapshot);
        this.mem.setInitialConf(conf);
      });
    });
  }

  /** Waits for queued writes, then closes the files. Later calls reject. */
  close(): Promise<void> {
    return this.enqueue(async () => {
      this.closed = true;
      await this.log.close();
    }, true);
  }

  private enqueue(op: () => Promise<void>, evenIfFailed = false): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new Error('raft storage: closed');
      if (this.failure && !evenIfFailed) throw new Error(`raft storage: unusable after an earlier I/O error (${this.failure.message}); reopen it`);
      await op();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Runs disk I/O; an error leaves the disk in an unknown state, so the storage refuses further writes. */
  private async io(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
      throw e;
    }
  }

  private async doPersist(p: PersistBatch): Promise<void> {
    // Plan and validate everything against the state the batch applies to, before any I/O.
    let offset = this.mem.firstIndex() - 1;
    let last = this.mem.lastIndex();
    let snapshot: Snapshot | null = null;
    if (p.snapshot && p.snapshot.meta.index > this.mem.snapshot().meta.index) {
      snapshot = p.snapshot;
      checkNumber('snapshot index', snapshot.meta.index);
      checkNumber('snapshot term', snapshot.meta.term);
      offset = last = snapshot.meta.index;
    }
    let entries: readonly Entry[] = [];
    if (p.entries.length > 0) {
      for (let i = 0; i < p.entries.length; i++) {
        const e = p.entries[i]!;
        checkNumber('entry index', e.index);
        checkNumber('entry term', e.term);
        if (e.type !== 'normal' && e.type !== 'conf') throw new RangeError(`raft storage: bad entry type ${String(e.type)}`);
        if (e.index < 1) throw new RangeError(`raft storage: entry index ${e.index} < 1`);
        if (i > 0 && e.index !== p.entries[i - 1]!.index + 1) throw new RangeError(`raft storage: entries not contiguous (${p.entries[i - 1]!.index} then ${e.index})`);
      }
      const first = p.entries[0]!.index;
      if (first + p.entries.length - 1 > offset) {
        entries = p.entries.slice(Math.max(0, offset + 1 - first));
        const start = entries[0]!.index;
        if (start > last + 1) throw new Error(`raft storage: gap appending ${start} after ${last}`);
      }
    }
    let hard: HardState | null = null;
    if (p.hardState && !sameHardState(p.hardState, this.mem.hardState())) {
      hard = p.hardState;
      checkNumber('term', hard.term);
      checkNumber('commit', hard.commit);
      if (hard.catchUp !== undefined) checkNumber('catch-up target', hard.catchUp);
    }

    const parts: Buffer[] = [];
    let maxIndex = 0;
    if (snapshot) {
      parts.push(encodeSnapMark(snapshot.meta.index, snapshot.meta.term));
      maxIndex = snapshot.meta.index;
    }
    for (const e of entries) parts.push(encodeEntry(e));
    if (entries.length > 0) maxIndex = Math.max(maxIndex, entries.at(-1)!.index);
    if (hard) parts.push(encodeHardState(hard));
    if (parts.length === 0) return;

    await this.io(async () => {
      // The snapshot file must be durable before the marker that refers to it.
      if (snapshot) await writeSnapshotFile(this.fs, this.snapDir, snapshot, this.yieldTurn);
      await this.log.append(parts.length === 1 ? parts[0]! : Buffer.concat(parts), maxIndex, this.mem.hardState());
      if (snapshot) {
        this.mem.applySnapshot(this.imageOnDisk ? { meta: snapshot.meta, data: '' } : snapshot);
        this.image = null;
      }
      this.mem.append(entries);
      if (hard) this.mem.setHardState(hard);
      if (snapshot) {
        await removeOlderSnapshots(this.fs, this.snapDir, snapshot.meta.index);
        await this.log.dropThrough(snapshot.meta.index);
      }
    });
  }
}

import { MemoryRaftStorage, type RaftStorage } from './storage.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';

/**
 * A state-machine image for compaction: one string, or slices whose concatenation is the image
 * (RaftStateMachine.snapshotSliced; the durable storage writes them without joining them,
 * docs/raft.md "Compaction under load").
 */
export type SnapshotImage = string | readonly string[];

/** The image as one string (joins slices: a copy of the whole image). */
export function imageText(image: SnapshotImage): string {
  return typeof image === 'string' ? image : image.join('');
}

/** The image's length in characters. */
export function imageChars(image: SnapshotImage): number {
  if (typeof image === 'string') return image.length;
  let n = 0;
  for (const s of image) n += s.length;
  return n;
}

/** One Ready's worth of state to make durable, in this order: snapshot, entries, hard state. */
export interface PersistBatch {
  snapshot?: Snapshot | null;
  entries: readonly Entry[];
  hardState?: HardState | null;
}

/**
 * The storage a production Raft host writes to: the core's read side plus asynchronous, durable
 * writes. `persist` resolves only once the batch is on stable storage (fsync); calls are serialized
 * by the host. Implemented by DurableRaftStorage (disk) and MemoryLogStore (tests).
 */
export interface RaftLogStore extends RaftStorage {
  persist(batch: PersistBatch): Promise<void>;
  /** Host-side compaction at an applied index with the state-machine image `data`. */
  compact(index: number, data: SnapshotImage, conf: ConfState): Promise<void>;
  /**
   * First start of a member: durably records `conf` as the initial configuration (the meta of the
   * empty index-0 snapshot). Only valid while the storage is empty (no conf, no entries).
   */
  bootstrap(conf: ConfState): Promise<void>;
  close(): Promise<void>;
  /**
   * The image of the snapshot at `index` as UTF-8 bytes, read without blocking the event loop; for
   * a snapshot handed out with `imageInStorage`. Rejects when that snapshot is no longer the
   * storage's (a newer one replaced it) or cannot be read.
   */
  snapshotImageBytes?(index: number): Promise<Buffer>;
}

/** True for a storage that has never held a configuration or an entry. */
export function isFresh(s: RaftStorage): boolean {
  const { confState } = s.initialState();
  return confState.voters.length === 0 && confState.learners.length === 0 && s.lastIndex() === 0 && s.firstIndex() === 1; // firstIndex() - 1 is the snapshot index (no image read)
}

/**
 * RaftLogStore over MemoryRaftStorage: "durable" = kept in this object (survives a simulated crash
 * of the host). It wraps the storage rather than extending it, so that every write is
 * asynchronous like DurableRaftStorage's: a failure is a rejected promise, never a synchronous
 * throw (the host handles compaction failures only as rejections).
 */
export class MemoryLogStore implements RaftLogStore {
  private readonly mem = new MemoryRaftStorage();

  initialState(): ReturnType<RaftStorage['initialState']> {
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
  snapshot(): Snapshot {
    return this.mem.snapshot();
  }
  /** Test set-up: the initial configuration, without a persist. */
  setInitialConf(conf: ConfState): void {
    this.mem.setInitialConf(conf);
  }

  async persist(b: PersistBatch): Promise<void> {
    if (b.snapshot) this.mem.applySnapshot(b.snapshot);
    this.mem.append(b.entries);
    if (b.hardState) this.mem.setHardState(b.hardState);
  }

  async compact(index: number, data: SnapshotImage, conf: ConfState): Promise<void> {
    this.mem.compact(index, imageText(data), conf);
  }

  async bootstrap(conf: ConfState): Promise<void> {
    if (!isFresh(this)) throw new Error('raft storage: bootstrap of a non-empty storage');
    this.mem.setInitialConf(conf);
  }

  async close(): Promise<void> {}
}

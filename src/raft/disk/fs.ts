/**
 * The few file-system operations durable Raft storage needs, as an injected interface: production
 * uses `nodeRaftFs` (node:fs/promises), the simulator an in-memory disk that loses unsynced bytes
 * on a crash (test/sim/sim-disk.ts).
 */
import { constants, readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';

/** The subset of a pino logger the storage uses. */
export interface RaftStorageLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RaftFile {
  /** Writes all of `data` at byte `position` (the caller may reuse `data` once this resolves). */
  write(data: Buffer, position: number): Promise<void>;
  /** fdatasync: the data written so far (and the file size) survive a crash. */
  sync(): Promise<void>;
  /**
   * Optional: `write` then `sync` in one operation (a file opened with `{ dsync: true }` on Linux:
   * O_DSYNC, one thread-pool job and one system call instead of two). Durable when resolved, as
   * after `write` + `sync`; a crash during it may leave a torn tail, as with `write` + `sync`.
   */
  writeSynced?(data: Buffer, position: number): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface RaftFs {
  /** mkdir -p. */
  mkdir(path: string): Promise<void>;
  /** Names in a directory (files only matter here). */
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  /**
   * Synchronous read (optional). With it the storage reads its snapshot image from the file when
   * the core needs it, instead of holding it in memory (docs/raft.md "Durable storage").
   */
  readFileSync?(path: string): Buffer;
  /**
   * 'create': create or truncate to empty; 'existing': open an existing file for writing.
   * `dsync`: the caller wants `writeSynced` (an implementation may ignore it and leave it out).
   */
  open(path: string, mode: 'create' | 'existing', opts?: { dsync?: boolean }): Promise<RaftFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory: creations, renames and removals in it survive a crash. */
  syncDir(path: string): Promise<void>;
}

export const nodeRaftFs: RaftFs = {
  async mkdir(path) {
    await mkdir(path, { recursive: true });
  },
  readdir: (path) => readdir(path),
  readFile: (path) => readFile(path),
  readFileSync: (path) => readFileSync(path),
  async open(path, mode, opts) {
    // O_DSYNC: every write returns once its data (and the size needed to read it back) is durable,
    // like write + fdatasync (POSIX synchronized I/O data integrity completion). One thread-pool
    // job instead of two: measured 30 % less CPU per append (docs/benchmarks.md "Raft write path").
    const dsync = opts?.dsync === true && typeof constants.O_DSYNC === 'number' ? constants.O_DSYNC : 0;
    const flags = (mode === 'create' ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC : constants.O_RDWR) | dsync;
    const fh = await open(path, flags, 0o666);
    const write = async (data: Buffer, position: number): Promise<void> => {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
        done += bytesWritten;
      }
    };
    return {
      write,
      sync: () => fh.datasync(),
      ...(dsync !== 0 ? { writeSynced: write } : {}),
      truncate: (length) => fh.truncate(length),
      close: () => fh.close(),
    };
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  async syncDir(path) {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

/** Same operations without any fsync (tests and benchmarks that do not need crash safety). */
export function withoutSync(fs: RaftFs): RaftFs {
  return {
    mkdir: (path) => fs.mkdir(path),
    readdir: (path) => fs.readdir(path),
    readFile: (path) => fs.readFile(path),
    ...(fs.readFileSync ? { readFileSync: fs.readFileSync.bind(fs) } : {}),
    async open(path, mode) {
      const f = await fs.open(path, mode); // without dsync: no writeSynced, and sync() does nothing
      return { write: (data, position) => f.write(data, position), sync: async () => {}, truncate: (length) => f.truncate(length), close: () => f.close() };
    },
    rename: (from, to) => fs.rename(from, to),
    unlink: (path) => fs.unlink(path),
    syncDir: async () => {},
  };
}

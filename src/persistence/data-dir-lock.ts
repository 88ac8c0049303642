/**
 * One process per data directory (docs/security.md §7). Two processes appending to one Raft log
 * both acknowledge writes and corrupt it for the next start, so a member takes an exclusive lock
 * on its data directory before it opens anything in it.
 *
 * Node has no flock(), so the lock is the file `<data-dir>/nomen.lock`, created atomically
 * (written to a temporary file, then hard-linked into place: the link fails if the lock exists,
 * and a lock file is never seen half-written). It holds the owner's pid, the kernel's start time
 * of that pid (Linux `/proc/<pid>/stat`), host name and a random token.
 *
 * A lock left behind by a process that died (kill -9, power loss) is stale and taken over: its pid
 * is gone or a zombie, or its pid now belongs to another process (the start time differs), or it
 * is our own pid (a container restart gives the new process the old pid). Taking over moves the
 * stale file aside with one rename and checks that the file moved is the one judged stale, so two
 * processes starting at once after a crash cannot both win.
 *
 * Limits: the liveness check sees processes of this host and pid namespace only; a data directory
 * shared between hosts or containers (network file system) is not protected.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'nomen.lock';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

/** What the lock file says about its owner. */
export interface LockHolder {
  pid: number;
  /** Kernel start time of `pid` ('' where unknown): tells a reused pid from the owner. */
  startTime: string;
  host: string;
  since: string;
  token: string;
}

/** How a process is looked at; injectable for tests. */
export interface ProcessProbe {
  readonly pid: number;
  /** False when no such process exists (or it is a zombie). */
  isAlive(pid: number): boolean;
  /** The kernel's start time of `pid`, or null where unknown. */
  startTimeOf(pid: number): string | null;
}

/** `/proc/<pid>/stat` fields after the command name: state (field 3) … starttime (field 22). */
function procStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export const systemProbe: ProcessProbe = {
  pid: process.pid,
  isAlive(pid) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      // EPERM: it exists but belongs to another user.
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    // A killed process whose parent has not reaped it yet still answers kill(0).
    return procStat(pid)?.[0] !== 'Z';
  },
  startTimeOf: (pid) => procStat(pid)?.[19] ?? null,
};

/** Lock files of this process (a second server on the same directory in one process is refused too). */
const heldHere = new Set<string>();

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0 || typeof v.token !== 'string') return null;
    return { pid: v.pid, startTime: String(v.startTime ?? ''), host: String(v.host ?? ''), since: String(v.since ?? ''), token: v.token };
  } catch {
    return null;
  }
}

/** The lock file's text, or null when there is no lock file. */
function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw e;
  }
}

function holderAlive(h: LockHolder, probe: ProcessProbe): boolean {
  if (h.pid === probe.pid) return false;
  if (!probe.isAlive(h.pid)) return false;
  const now = probe.startTimeOf(h.pid);
  return now === null || h.startTime === '' || now === h.startTime;
}

/** Writes the lock file atomically; false if a lock file exists already. */
function tryCreate(dir: string, path: string, me: LockHolder): boolean {
  const text = `${JSON.stringify(me)}\n`;
  const tmp = join(dir, `${LOCK_FILE}.${me.pid}.${me.token}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    // A file system without hard links: create-exclusive instead (a crash between create and
    // write leaves an empty lock file, which counts as stale).
    try {
      const fd2 = openSync(path, 'wx');
      try {
        writeSync(fd2, text);
        fsyncSync(fd2);
      } finally {
        closeSync(fd2);
      }
      return true;
    } catch (e2) {
      if (errno(e2) === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    unlinkSync(tmp);
  }
}

/** Leftovers of interrupted acquisitions (`nomen.lock.<pid>.<token>.tmp|.stale`) of dead processes. */
function removeLeftovers(dir: string, probe: ProcessProbe): void {
  for (const name of readdirSync(dir)) {
    const m = /^nomen\.lock\.(\d+)\.[0-9a-f]+\.(tmp|stale)$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== probe.pid && probe.isAlive(pid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // gone already
    }
  }
}

function lockedMessage(dir: string, path: string, h: LockHolder): string {
  const where = h.host !== '' ? ` on ${h.host}` : '';
  const since = h.since !== '' ? `, since ${h.since}` : '';
  return (
    `data directory ${dir} is in use by another Nomen process (pid ${h.pid}${where}${since}; lock file ${path}). ` +
    'Stop that process first, or give this one its own --data-dir (nomen.data.dir).'
  );
}

/** A held lock; `release()` removes the lock file if it is still ours. */
export class DataDirLock {
  private released = false;
  private readonly onExit = (): void => this.release();

  constructor(
    readonly dir: string,
    readonly path: string,
    private readonly token: string,
  ) {
    // Also released when the process exits without stopping the server (a second SIGTERM).
    process.once('exit', this.onExit);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    heldHere.delete(this.path);
    try {
      const h = parseHolder(readText(this.path) ?? '');
      if (h?.token === this.token) unlinkSync(this.path);
    } catch {
      // nothing to release
    }
  }
}

/**
 * Takes the lock of `dataDir` (created if missing). Throws DataDirLockedError, naming the
 * directory and the holder's pid, while another live process holds it.
 */
export function acquireDataDirLock(dataDir: string, probe: ProcessProbe = systemProbe, onStale: (h: LockHolder | null) => void = () => undefined): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  if (heldHere.has(path)) throw new DataDirLockedError(`data directory ${dir} is already in use by this process`);
  const me: LockHolder = {
    pid: probe.pid,
    startTime: probe.startTimeOf(probe.pid) ?? '',
    host: hostname(),
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  for (let attempt = 0; attempt < 10; attempt++) {
    if (tryCreate(dir, path, me)) {
      heldHere.add(path);
      removeLeftovers(dir, probe);
      return new DataDirLock(dir, path, me.token);
    }
    const text = readText(path);
    if (text === null) continue; // released meanwhile
    const holder = parseHolder(text);
    if (holder && holderAlive(holder, probe)) throw new DataDirLockedError(lockedMessage(dir, path, holder));
    // Stale. Move it aside, then make sure the file moved is the one judged stale: another process
    // may have taken the lock over in between.
    const aside = join(dir, `${LOCK_FILE}.${me.pid}.${me.token}.stale`);
    try {
      renameSync(path, aside);
    } catch (e) {
      if (errno(e) === 'ENOENT') continue;
      throw e;
    }
    const moved = readText(aside);
    if (moved === text) {
      unlinkSync(aside);
      onStale(holder);
      continue;
    }
    // We moved a fresh lock: put it back (unless yet another one appeared) and look again.
    try {
      linkSync(aside, path);
    } catch {
      // a newer lock is in place
    }
    unlinkSync(aside);
  }
  throw new DataDirLockedError(`could not lock data directory ${dir}: the lock file ${path} kept changing hands`);
}

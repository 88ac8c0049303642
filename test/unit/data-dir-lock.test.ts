/**
 * The data directory lock (src/persistence/data-dir-lock.ts): held, refused while a live process
 * holds it, taken over when the holder is gone (kill -9), when its pid was reused, or when the pid
 * is our own (a container restart). Real processes only: the parent of the test process is a
 * live process that is not us, and a finished child gives a dead pid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE, systemProbe, type LockHolder } from '../../src/persistence/data-dir-lock.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nomen-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeLock(dir: string, h: Partial<LockHolder>): void {
  const holder: LockHolder = { pid: 1, startTime: '', host: 'elsewhere', since: '2020-01-01T00:00:00.000Z', token: 'feedface', ...h };
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
}

function holderOf(dir: string): LockHolder {
  return JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
}

/** A pid that belonged to a process which has exited (and was reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  assert.ok(r.pid !== undefined && r.pid > 0);
  return r.pid;
}

test('acquire writes our pid, release removes the lock file, the directory can be locked again', (t) => {
  const dir = join(tempDir(t), 'not-yet-there');
  const lock = acquireDataDirLock(dir);
  assert.equal(holderOf(dir).pid, process.pid);
  assert.equal(holderOf(dir).startTime, systemProbe.startTimeOf(process.pid) ?? '');
  // No temporary files are left behind.
  assert.deepEqual(readdirSync(dir), [LOCK_FILE]);
  lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  lock.release();
  acquireDataDirLock(dir).release();
});

test('a second lock of the same directory in this process is refused', (t) => {
  const dir = tempDir(t);
  const lock = acquireDataDirLock(dir);
  t.after(() => lock.release());
  assert.throws(() => acquireDataDirLock(dir), (e: unknown) => e instanceof DataDirLockedError && /already in use by this process/.test(e.message));
  assert.equal(holderOf(dir).pid, process.pid, 'the first lock is untouched');
});

test('a lock held by another live process is refused with the directory and its pid; the lock file stays', (t) => {
  const dir = tempDir(t);
  const ppid = process.ppid;
  writeLock(dir, { pid: ppid, startTime: systemProbe.startTimeOf(ppid) ?? '', token: 'aaaa' });
  assert.throws(
    () => acquireDataDirLock(dir),
    (e: unknown) => e instanceof DataDirLockedError && e.message.includes(dir) && e.message.includes(`pid ${ppid}`) && /--data-dir/.test(e.message),
  );
  assert.equal(holderOf(dir).token, 'aaaa');
});

test('stale locks are taken over: dead pid (kill -9), reused pid, our own pid (container restart), garbage', (t) => {
  const dir = tempDir(t);
  const stale: (LockHolder | null)[] = [];
  const take = (): void => acquireDataDirLock(dir, systemProbe, (h) => stale.push(h)).release();

  writeLock(dir, { pid: deadPid(), token: 'dead' });
  take();
  // The parent is alive, but it started at another time than the lock says: the pid was reused.
  if (systemProbe.startTimeOf(process.ppid) !== null) {
    writeLock(dir, { pid: process.ppid, startTime: '1', token: 'reused' });
    take();
  }
  writeLock(dir, { pid: process.pid, token: 'mine' });
  take();
  writeFileSync(join(dir, LOCK_FILE), '');
  take();
  writeFileSync(join(dir, LOCK_FILE), '{"pid":"x"}');
  take();
  assert.deepEqual(
    stale.map((h) => h?.token ?? null),
    [systemProbe.startTimeOf(process.ppid) !== null ? ['dead', 'reused'] : ['dead'], 'mine', null, null].flat(),
  );
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
});

test('leftovers of interrupted acquisitions by dead processes are removed, a live process keeps its own', (t) => {
  const dir = tempDir(t);
  const dead = deadPid();
  writeFileSync(join(dir, `${LOCK_FILE}.${dead}.abcd.tmp`), 'x');
  writeFileSync(join(dir, `${LOCK_FILE}.${dead}.abcd.stale`), 'x');
  writeFileSync(join(dir, `${LOCK_FILE}.${process.ppid}.beef.tmp`), 'x');
  const lock = acquireDataDirLock(dir);
  t.after(() => lock.release());
  assert.deepEqual(readdirSync(dir).sort(), [LOCK_FILE, `${LOCK_FILE}.${process.ppid}.beef.tmp`].sort());
});

test('a zombie (killed, not reaped yet) does not hold the lock', async (t) => {
  const dir = tempDir(t);
  // sh starts a short child and exec()s into sleep, which never reaps it: the child stays a zombie.
  // The child outlives the exec (1 s): one that exited before it could be reaped by sh itself.
  const sh = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => sh.kill('SIGKILL'));
  const zombie = await new Promise<number>((resolve) => sh.stdout.once('data', (b: Buffer) => resolve(Number(String(b).trim()))));
  if (!existsSync('/proc/self/stat')) {
    t.skip('no /proc on this system');
    return;
  }
  // On a loaded machine the child may take a while to run and exit: wait up to 15 s for the zombie.
  let state = '';
  const deadline = Date.now() + 15_000;
  while (state !== 'Z' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    try {
      const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
    } catch {
      state = 'gone';
      break;
    }
  }
  assert.equal(state, 'Z', `pid ${zombie} should be a zombie (state ${state})`);
  writeLock(dir, { pid: zombie, token: 'zombie' });
  acquireDataDirLock(dir).release();
});

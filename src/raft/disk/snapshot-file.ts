/**
 * Snapshot files: `<dir>/<index, 20 digits>.snap` =
 *   8 bytes magic "NMRSNAP1" | record(meta: index, term, conf JSON) | record(data)
 * with the record framing of record-codec.ts (each record checksummed). Written atomically: a
 * `.tmp` file is written and fsynced, renamed over, and the directory fsynced. Only the newest
 * file is kept; leftovers (temp files, an older snapshot whose removal did not survive a crash)
 * are removed on open.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { Snapshot } from '../types.js';
import type { RaftFs, RaftStorageLogger } from './fs.js';

export type { RaftStorageLogger } from './fs.js';
import { decodeSnapData, decodeSnapMeta, encodeSnapData, encodeSnapMeta, HEADER_BYTES, RaftStorageCorruptError, RecordDecodeError, recordEnd } from './record-codec.js';

const MAGIC = Buffer.from('NMRSNAP1', 'latin1');
const NAME = /^(\d{20})\.snap$/;
const TMP_SUFFIX = '.tmp';

const confSchema = z.object({ voters: z.array(z.string()), learners: z.array(z.string()) }).strict();

export function snapshotFileName(index: number): string {
  return `${String(index).padStart(20, '0')}.snap`;
}

export function encodeSnapshotFile(s: Snapshot): Buffer {
  const conf = JSON.stringify({ voters: s.meta.conf.voters, learners: s.meta.conf.learners });
  return Buffer.concat([MAGIC, encodeSnapMeta(s.meta.index, s.meta.term, conf), encodeSnapData(s.data)]);
}

/** Parses a whole snapshot file; any defect is a RaftStorageCorruptError naming `file`. */
export function decodeSnapshotFile(buf: Buffer, file: string): Snapshot {
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new RaftStorageCorruptError(file, 0, 'not a snapshot file (bad magic)');
  const metaAt = MAGIC.length;
  const metaEnd = recordEnd(buf, metaAt);
  if (metaEnd < 0) throw new RaftStorageCorruptError(file, metaAt, 'snapshot meta record is truncated or fails its checksum');
  const dataEnd = recordEnd(buf, metaEnd);
  if (dataEnd < 0) throw new RaftStorageCorruptError(file, metaEnd, 'snapshot data record is truncated or fails its checksum');
  if (dataEnd !== buf.length) throw new RaftStorageCorruptError(file, dataEnd, `${buf.length - dataEnd} unexpected bytes after the snapshot data`);
  let at = metaAt;
  try {
    const meta = decodeSnapMeta(buf.subarray(metaAt + HEADER_BYTES, metaEnd));
    const conf = confSchema.parse(JSON.parse(meta.confJson));
    at = metaEnd;
    const data = decodeSnapData(buf.subarray(metaEnd + HEADER_BYTES, dataEnd));
    return { meta: { index: meta.index, term: meta.term, conf }, data };
  } catch (e) {
    if (e instanceof RecordDecodeError || e instanceof SyntaxError || e instanceof z.ZodError) throw new RaftStorageCorruptError(file, at, `undecodable record: ${e.message}`);
    throw e;
  }
}

/** Writes `s` atomically as the snapshot file for its index (temp + fsync + rename + fsync dir). */
export async function writeSnapshotFile(fs: RaftFs, dir: string, s: Snapshot): Promise<void> {
  const final = join(dir, snapshotFileName(s.meta.index));
  const tmp = final + TMP_SUFFIX;
  const f = await fs.open(tmp, 'create');
  try {
    await f.write(encodeSnapshotFile(s), 0);
    await f.sync();
  } finally {
    await f.close();
  }
  await fs.rename(tmp, final);
  await fs.syncDir(dir);
}

/** Removes every snapshot file older than `keepIndex` (no fsync needed: a survivor is ignored and removed again). */
export async function removeOlderSnapshots(fs: RaftFs, dir: string, keepIndex: number): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    const m = NAME.exec(name);
    if (m && Number(m[1]) < keepIndex) await fs.unlink(join(dir, name));
  }
}

/**
 * The state-machine image of the snapshot file for `index`, read synchronously (`fs.readFileSync`
 * is required): the storage does not keep the image in memory between uses.
 */
export function readSnapshotImage(fs: RaftFs, dir: string, index: number): string {
  if (!fs.readFileSync) throw new Error('raft storage: this file system cannot read synchronously');
  const file = join(dir, snapshotFileName(index));
  const snapshot = decodeSnapshotFile(fs.readFileSync(file), file);
  if (snapshot.meta.index !== index) throw new RaftStorageCorruptError(file, 0, `file name says index ${index}, content says ${snapshot.meta.index}`);
  return snapshot.data;
}

/**
 * Loads the newest snapshot file of `dir` (null if there is none), after removing leftover temp
 * files; older snapshot files are removed once the newest one has been read successfully. A
 * corrupt newest file is an error, never a reason to fall back to an older one (the log entries
 * between them may be gone).
 */
export async function loadNewestSnapshot(fs: RaftFs, dir: string, log: RaftStorageLogger): Promise<Snapshot | null> {
  let newest = -1;
  for (const name of await fs.readdir(dir)) {
    if (name.endsWith(TMP_SUFFIX)) {
      await fs.unlink(join(dir, name));
      log.warn({ file: join(dir, name) }, 'raft storage: removed a leftover temporary snapshot file');
      continue;
    }
    const m = NAME.exec(name);
    if (m) newest = Math.max(newest, Number(m[1]));
  }
  if (newest < 0) return null;
  const file = join(dir, snapshotFileName(newest));
  const snapshot = decodeSnapshotFile(await fs.readFile(file), file);
  if (snapshot.meta.index !== newest) throw new RaftStorageCorruptError(file, 0, `file name says index ${newest}, content says ${snapshot.meta.index}`);
  await removeOlderSnapshots(fs, dir, newest);
  return snapshot;
}

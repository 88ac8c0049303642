/**
 * Snapshot files: `<dir>/<index, 20 digits>.snap` =
 *   8 bytes magic "NMRSNAP1" | record(meta: index, term, conf JSON) | record(data)
 * with the record framing of record-codec.ts (each record checksummed). Written atomically: a
 * `.tmp` file is written and fsynced, renamed over, and the directory fsynced. Only the newest
 * file is kept; leftovers (temp files, an older snapshot whose removal did not survive a crash)
 * are removed on open.
 */
import { nextTurn } from '../../core/clock.js';
import { join } from 'node:path';
import { z } from 'zod';
import { crc32 } from 'node:zlib';
import type { Snapshot, SnapshotMeta } from '../types.js';
import type { RaftFs, RaftStorageLogger } from './fs.js';

export type { RaftStorageLogger } from './fs.js';
import {
  beginSnapDataHead,
  decodeSnapData,
  decodeSnapMeta,
  ENC_UTF8,
  encodeSnapData,
  encodeSnapMeta,
  finishSnapDataHead,
  hasLoneSurrogate,
  HEADER_BYTES,
  KIND_SNAP_DATA,
  RaftStorageCorruptError,
  RecordDecodeError,
  recordEnd,
} from './record-codec.js';

const MAGIC = Buffer.from('NMRSNAP1', 'latin1');
const NAME = /^(\d{20})\.snap$/;
const TMP_SUFFIX = '.tmp';

const confSchema = z.object({ voters: z.array(z.string()), learners: z.array(z.string()) }).strict();

export function snapshotFileName(index: number): string {
  return `${String(index).padStart(20, '0')}.snap`;
}

function encodeMeta(meta: SnapshotMeta): Buffer {
  return encodeSnapMeta(meta.index, meta.term, JSON.stringify({ voters: meta.conf.voters, learners: meta.conf.learners }));
}

/** The whole file in one buffer (one synchronous block; the storage writes with `writeSnapshotFileSliced`). */
export function encodeSnapshotFile(s: Snapshot): Buffer {
  return Buffer.concat([MAGIC, encodeMeta(s.meta), encodeSnapData(s.data)]);
}

/**
 * Longest piece of the image `writeSnapshotFileSliced` handles in one event-loop turn, in
 * characters: a piece is scanned, measured, encoded and checksummed in ~1–3 ms on the project's
 * VM (docs/benchmarks.md "Compaction pause: the image in slices").
 */
export const SNAPSHOT_WRITE_CHARS = 512 * 1024;

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * The image `slices.join('')` cut into pieces of at most `maxChars` (+1) characters, none ending
 * between the two halves of a surrogate pair: each piece then encodes to exactly its share of the
 * whole image's UTF-8 bytes, and the image holds a lone surrogate iff some piece does. Cutting a
 * flat string is cheap (V8 keeps a slice as a view of its parent); a high surrogate at the end of
 * a slice moves to the front of the next one.
 */
export function snapshotPieces(slices: readonly string[], maxChars = SNAPSHOT_WRITE_CHARS): string[] {
  if (!Number.isSafeInteger(maxChars) || maxChars < 2) throw new RangeError(`raft storage: bad piece size ${maxChars}`);
  const out: string[] = [];
  let carry = '';
  for (let k = 0; k < slices.length; k++) {
    let s = carry + slices[k]!;
    carry = '';
    if (k < slices.length - 1 && s.length > 0 && isHighSurrogate(s.charCodeAt(s.length - 1))) {
      carry = s.slice(-1);
      s = s.slice(0, -1);
    }
    let at = 0;
    while (s.length - at > maxChars) {
      let end = at + maxChars;
      if (isHighSurrogate(s.charCodeAt(end - 1))) end--;
      out.push(s.slice(at, end));
      at = end;
    }
    if (at < s.length) out.push(at === 0 ? s : s.slice(at));
  }
  return out;
}

/** Checks a snapshot file's magic and its meta record's checksum; returns where the meta record ends. */
function metaRecordEnd(buf: Buffer, file: string): number {
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new RaftStorageCorruptError(file, 0, 'not a snapshot file (bad magic)');
  const end = recordEnd(buf, MAGIC.length);
  if (end < 0) throw new RaftStorageCorruptError(file, MAGIC.length, 'snapshot meta record is truncated or fails its checksum');
  return end;
}

/** The snapshot file named for index `named` holds the snapshot at `found`. */
function checkNamedIndex(file: string, named: number, found: number): void {
  if (found !== named) throw new RaftStorageCorruptError(file, 0, `file name says index ${named}, content says ${found}`);
}

/** Parses a whole snapshot file; any defect is a RaftStorageCorruptError naming `file`. */
export function decodeSnapshotFile(buf: Buffer, file: string): Snapshot {
  const metaAt = MAGIC.length;
  const metaEnd = metaRecordEnd(buf, file);
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
export function writeSnapshotFile(fs: RaftFs, dir: string, s: Snapshot, yieldTurn: () => Promise<void> = nextTurn): Promise<void> {
  return writeSnapshotFileSliced(fs, dir, s.meta, [s.data], yieldTurn);
}

/**
 * Writes the snapshot file for `meta` with the image `slices.join('')`, atomically (temp + fsync +
 * rename + fsync dir), without ever holding the image or the file as one piece: the bytes are
 * those of `encodeSnapshotFile`, but produced a piece (`snapshotPieces`) at a time, so that no
 * single event-loop turn touches more than SNAPSHOT_WRITE_CHARS of it (docs/raft.md "Compaction
 * under load"). First pass: each piece's encoding and byte length, awaiting `yieldTurn()` between
 * pieces (the record header holds the length, and its CRC starts with it); second pass: each piece
 * encoded into one reused buffer, added to the CRC and written at its position (each write awaits
 * the thread pool); last, the head (magic, meta record, data record header with the CRC) at 0.
 * An image of one piece (any image up to `pieceChars`) never calls `yieldTurn`.
 */
export async function writeSnapshotFileSliced(
  fs: RaftFs,
  dir: string,
  meta: SnapshotMeta,
  slices: readonly string[],
  yieldTurn: () => Promise<void> = nextTurn,
  pieceChars = SNAPSHOT_WRITE_CHARS,
): Promise<void> {
  const pieces = snapshotPieces(slices, pieceChars);
  const metaRecord = encodeMeta(meta);
  let utf16 = false;
  const bytes: number[] = [];
  for (let k = 0; k < pieces.length; k++) {
    if (utf16) break;
    if (k > 0) await yieldTurn();
    if (hasLoneSurrogate(pieces[k]!)) utf16 = true;
    else bytes.push(Buffer.byteLength(pieces[k]!, 'utf8'));
  }
  // UTF-16LE (the image holds a lone surrogate: never in practice) needs no measuring: two bytes a character.
  if (utf16) for (let k = 0; k < pieces.length; k++) bytes[k] = pieces[k]!.length * 2;
  const enc = utf16 ? 'utf16le' : 'utf8';
  let total = 0;
  let largest = 0;
  for (const n of bytes) {
    total += n;
    largest = Math.max(largest, n);
  }
  const { head, crc: headCrc } = beginSnapDataHead(utf16, total);
  const start = MAGIC.length + metaRecord.length + head.length;
  const final = join(dir, snapshotFileName(meta.index));
  const tmp = final + TMP_SUFFIX;
  const f = await fs.open(tmp, 'create');
  try {
    const scratch = Buffer.allocUnsafe(largest);
    let crc = headCrc;
    let pos = start;
    for (let k = 0; k < pieces.length; k++) {
      const n = scratch.write(pieces[k]!, 0, enc);
      if (n !== bytes[k]) throw new Error(`raft storage: snapshot piece ${k} encoded to ${n} bytes, measured ${bytes[k]}`);
      const chunk = scratch.subarray(0, n);
      crc = crc32(chunk, crc);
      await f.write(chunk, pos);
      pos += n;
    }
    finishSnapDataHead(head, 0, crc);
    await f.write(Buffer.concat([MAGIC, metaRecord, head]), 0);
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
  checkNamedIndex(file, index, snapshot.meta.index);
  return snapshot.data;
}

/** Bytes of a snapshot file `readSnapshotImageBytes` checksums in one event-loop turn (~1 ms with zlib's crc32). */
export const SNAPSHOT_READ_BYTES = 1024 * 1024;

/**
 * The image of the snapshot file for `index` as UTF-8 bytes, as `Buffer.from(image, 'utf8')` would
 * give them, without blocking the event loop for the image's size (docs/raft.md "Snapshot
 * transfer"): the file is read on the thread pool, the data record's checksum is computed a slice
 * of `sliceBytes` per turn, and a UTF-8 image (every well-formed one) is handed out as the file's
 * own bytes, never decoded to a string. Throws RaftStorageCorruptError on any defect, and the
 * file system's error when the file is gone (a newer snapshot replaced it).
 */
export async function readSnapshotImageBytes(fs: RaftFs, dir: string, index: number, yieldTurn: () => Promise<void> = nextTurn, sliceBytes = SNAPSHOT_READ_BYTES): Promise<Buffer> {
  const file = join(dir, snapshotFileName(index));
  const buf = await fs.readFile(file);
  const metaAt = MAGIC.length;
  const metaEnd = metaRecordEnd(buf, file);
  let metaIndex: number;
  try {
    metaIndex = decodeSnapMeta(buf.subarray(metaAt + HEADER_BYTES, metaEnd)).index;
  } catch (e) {
    if (e instanceof RecordDecodeError) throw new RaftStorageCorruptError(file, metaAt, `undecodable record: ${e.message}`);
    throw e;
  }
  checkNamedIndex(file, index, metaIndex);
  const at = metaEnd;
  if (at + HEADER_BYTES > buf.length) throw new RaftStorageCorruptError(file, at, 'snapshot data record is truncated');
  const len = buf.readUInt32LE(at);
  const end = at + HEADER_BYTES + len;
  if (len < 2 || end > buf.length) throw new RaftStorageCorruptError(file, at, 'snapshot data record is truncated');
  if (end !== buf.length) throw new RaftStorageCorruptError(file, end, `${buf.length - end} unexpected bytes after the snapshot data`);
  let sum = crc32(buf.subarray(at, at + 4));
  for (let p = at + HEADER_BYTES; p < end; p += sliceBytes) {
    if (p > at + HEADER_BYTES) await yieldTurn();
    sum = crc32(buf.subarray(p, Math.min(end, p + sliceBytes)), sum);
  }
  if (sum !== buf.readUInt32LE(at + 4)) throw new RaftStorageCorruptError(file, at, 'snapshot data record fails its checksum');
  const payload = buf.subarray(at + HEADER_BYTES, end);
  if (payload[0] !== KIND_SNAP_DATA) throw new RaftStorageCorruptError(file, at, `expected snapshot data, found kind ${payload[0]}`);
  if (payload[1] === ENC_UTF8) return payload.subarray(2);
  // An image with a lone surrogate (stored as UTF-16): what Buffer.from gives for it (one block).
  try {
    return Buffer.from(decodeSnapData(payload), 'utf8');
  } catch (e) {
    if (e instanceof RecordDecodeError) throw new RaftStorageCorruptError(file, at, `undecodable record: ${e.message}`);
    throw e;
  }
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
  checkNamedIndex(file, newest, snapshot.meta.index);
  await removeOlderSnapshots(fs, dir, newest);
  return snapshot;
}

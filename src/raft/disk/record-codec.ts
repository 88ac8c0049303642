/**
 * On-disk record framing shared by log segments and snapshot files (layout in docs/raft.md):
 *
 *   u32 LE  length L of the payload (≥ 1)
 *   u32 LE  CRC-32 (zlib/IEEE polynomial) of the 4 length bytes followed by the payload
 *   L bytes payload: u8 kind, then a kind-specific body
 *
 * The checksum covers the length too, so a flipped length bit is detected like any other. Numbers
 * are u64 LE limited to 2^53 - 1; strings are UTF-8, or UTF-16LE when the JS string is not
 * well-formed (lone surrogates), so every string round-trips exactly.
 */
import { crc32 } from 'node:zlib';
import type { Entry, HardState } from '../types.js';

export const HEADER_BYTES = 8;

export const KIND_ENTRY = 1;
export const KIND_HARD = 2;
export const KIND_SNAP_MARK = 3;
export const KIND_SNAP_META = 4;
export const KIND_SNAP_DATA = 5;
/** A hard state with a pending catch-up target (docs/raft.md "Lost disks"); other hard states keep KIND_HARD. */
export const KIND_HARD_CATCHUP = 6;

/** A checksummed record that is not a torn tail, or a file that cannot be read back. */
export class RaftStorageCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`raft storage: ${file} is corrupt at byte offset ${offset}: ${reason}`);
    this.name = 'RaftStorageCorruptError';
  }
}

/** A payload that passed its checksum but does not decode (written by something else). */
export class RecordDecodeError extends Error {}

const TWO32 = 2 ** 32;
/** String encodings of records (a flag byte): UTF-8, or UTF-16LE for a string with a lone surrogate. */
export const ENC_UTF8 = 0;
const ENC_UTF16 = 1;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface EncodedString {
  enc: number;
  bytes: number;
  value: string;
}

function encodeString(value: string): EncodedString {
  const enc = LONE_SURROGATE.test(value) ? ENC_UTF16 : ENC_UTF8;
  return { enc, bytes: Buffer.byteLength(value, enc === ENC_UTF8 ? 'utf8' : 'utf16le'), value };
}

function writeString(buf: Buffer, off: number, s: EncodedString): void {
  buf.write(s.value, off, s.bytes, s.enc === ENC_UTF8 ? 'utf8' : 'utf16le');
}

function readString(buf: Buffer, enc: number, start: number, end: number): string {
  if (enc === ENC_UTF8) return buf.toString('utf8', start, end);
  if (enc === ENC_UTF16 && (end - start) % 2 === 0) return buf.toString('utf16le', start, end);
  throw new RecordDecodeError(`bad string encoding ${enc}`);
}

function writeU64(buf: Buffer, off: number, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`raft storage: ${n} is not a non-negative safe integer`);
  buf.writeUInt32LE(n % TWO32, off);
  buf.writeUInt32LE(Math.floor(n / TWO32), off + 4);
}

function readU64(buf: Buffer, off: number): number {
  const hi = buf.readUInt32LE(off + 4);
  if (hi > 0x1fffff) throw new RecordDecodeError('integer beyond 2^53');
  return hi * TWO32 + buf.readUInt32LE(off);
}

/** Allocates header + payload; `fill` writes the payload starting at offset HEADER_BYTES. */
function framed(payloadBytes: number, fill: (buf: Buffer, at: number) => void): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + payloadBytes);
  buf.writeUInt32LE(payloadBytes, 0);
  fill(buf, HEADER_BYTES);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_BYTES), crc32(buf.subarray(0, 4))), 4);
  return buf;
}

/** True when `s` is not well-formed UTF-16 (holds a lone surrogate): such a string is stored as UTF-16LE. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/**
 * The first 10 bytes of a snapshot data record whose string is written separately, in pieces
 * (snapshot-file.ts `writeSnapshotFileSliced`): header (length, CRC left 0) and the payload's kind
 * and string encoding; `crc` is the running CRC-32 over the length and those two bytes, to be
 * continued over the string's bytes and stored with `finishSnapDataHead`. The bytes are those of
 * `encodeSnapData` of the whole string.
 */
export function beginSnapDataHead(utf16: boolean, stringBytes: number): { head: Buffer; crc: number } {
  const head = Buffer.alloc(HEADER_BYTES + 2);
  head.writeUInt32LE(2 + stringBytes, 0);
  head[HEADER_BYTES] = KIND_SNAP_DATA;
  head[HEADER_BYTES + 1] = utf16 ? ENC_UTF16 : ENC_UTF8;
  return { head, crc: crc32(head.subarray(HEADER_BYTES), crc32(head.subarray(0, 4))) };
}

/** Stores the CRC of a record begun with `beginSnapDataHead` (`head` may sit at `at` in a larger buffer). */
export function finishSnapDataHead(head: Buffer, at: number, crc: number): void {
  head.writeUInt32LE(crc, at + 4);
}

// ---- payloads --------------------------------------------------------------------------------

/** kind | u8 entry type | u8 string encoding | u64 index | u64 term | data */
export function encodeEntry(e: Entry): Buffer {
  const s = encodeString(e.data);
  return framed(19 + s.bytes, (b, at) => {
    b[at] = KIND_ENTRY;
    b[at + 1] = e.type === 'conf' ? 1 : 0;
    b[at + 2] = s.enc;
    writeU64(b, at + 3, e.index);
    writeU64(b, at + 11, e.term);
    writeString(b, at + 19, s);
  });
}

/**
 * kind | u8 string encoding | u64 term | u64 commit | vote; with a catch-up target:
 * KIND_HARD_CATCHUP | u8 string encoding | u64 term | u64 commit | u64 catchUp | vote.
 */
export function encodeHardState(h: HardState): Buffer {
  const s = encodeString(h.vote);
  const catchUp = h.catchUp ?? 0;
  const voteAt = catchUp > 0 ? 26 : 18;
  return framed(voteAt + s.bytes, (b, at) => {
    b[at] = catchUp > 0 ? KIND_HARD_CATCHUP : KIND_HARD;
    b[at + 1] = s.enc;
    writeU64(b, at + 2, h.term);
    writeU64(b, at + 10, h.commit);
    if (catchUp > 0) writeU64(b, at + 18, catchUp);
    writeString(b, at + voteAt, s);
  });
}

/** kind | u64 index | u64 term — "a snapshot at index/term replaced the whole log here". */
export function encodeSnapMark(index: number, term: number): Buffer {
  return framed(17, (b, at) => {
    b[at] = KIND_SNAP_MARK;
    writeU64(b, at + 1, index);
    writeU64(b, at + 9, term);
  });
}

/** kind | u64 index | u64 term | JSON (utf8) of the ConfState */
export function encodeSnapMeta(index: number, term: number, confJson: string): Buffer {
  const s = encodeString(confJson);
  if (s.enc !== ENC_UTF8) throw new RangeError('raft storage: conf JSON is not well-formed');
  return framed(17 + s.bytes, (b, at) => {
    b[at] = KIND_SNAP_META;
    writeU64(b, at + 1, index);
    writeU64(b, at + 9, term);
    writeString(b, at + 17, s);
  });
}

/** kind | u8 string encoding | data */
export function encodeSnapData(data: string): Buffer {
  const s = encodeString(data);
  return framed(2 + s.bytes, (b, at) => {
    b[at] = KIND_SNAP_DATA;
    b[at + 1] = s.enc;
    writeString(b, at + 2, s);
  });
}

export type LogRecord = { kind: 'entry'; entry: Entry } | { kind: 'hard'; hard: HardState } | { kind: 'snapMark'; index: number; term: number };

function need(p: Buffer, n: number): void {
  if (p.length < n) throw new RecordDecodeError(`payload of ${p.length} bytes is too short`);
}

/** Decodes a log-segment payload. Throws RecordDecodeError. */
export function decodeLogRecord(p: Buffer): LogRecord {
  switch (p[0]) {
    case KIND_ENTRY: {
      need(p, 19);
      const t = p[1];
      if (t !== 0 && t !== 1) throw new RecordDecodeError(`bad entry type ${t}`);
      const entry: Entry = { index: readU64(p, 3), term: readU64(p, 11), type: t === 1 ? 'conf' : 'normal', data: readString(p, p[2]!, 19, p.length) };
      return { kind: 'entry', entry };
    }
    case KIND_HARD:
      need(p, 18);
      return { kind: 'hard', hard: { term: readU64(p, 2), commit: readU64(p, 10), vote: readString(p, p[1]!, 18, p.length) } };
    case KIND_HARD_CATCHUP:
      need(p, 26);
      return { kind: 'hard', hard: { term: readU64(p, 2), commit: readU64(p, 10), catchUp: readU64(p, 18), vote: readString(p, p[1]!, 26, p.length) } };
    case KIND_SNAP_MARK:
      if (p.length !== 17) throw new RecordDecodeError('bad snapshot marker length');
      return { kind: 'snapMark', index: readU64(p, 1), term: readU64(p, 9) };
    default:
      throw new RecordDecodeError(`unknown log record kind ${p[0]}`);
  }
}

/**
 * The index of an entry record without decoding its data (null: not an entry record). Recovery
 * uses it to skip entries the snapshot already covers (docs/raft.md "Durable storage").
 */
export function peekEntryIndex(p: Buffer): number | null {
  if (p[0] !== KIND_ENTRY) return null;
  need(p, 19);
  return readU64(p, 3);
}

export function decodeSnapMeta(p: Buffer): { index: number; term: number; confJson: string } {
  if (p[0] !== KIND_SNAP_META) throw new RecordDecodeError(`expected snapshot meta, found kind ${p[0]}`);
  need(p, 17);
  return { index: readU64(p, 1), term: readU64(p, 9), confJson: readString(p, ENC_UTF8, 17, p.length) };
}

export function decodeSnapData(p: Buffer): string {
  if (p[0] !== KIND_SNAP_DATA) throw new RecordDecodeError(`expected snapshot data, found kind ${p[0]}`);
  need(p, 2);
  return readString(p, p[1]!, 2, p.length);
}

// ---- scanning --------------------------------------------------------------------------------

/** End offset of a well-formed record starting at `pos`, or -1. */
export function recordEnd(buf: Buffer, pos: number): number {
  if (pos + HEADER_BYTES > buf.length) return -1;
  const len = buf.readUInt32LE(pos);
  if (len === 0 || len > buf.length - pos - HEADER_BYTES) return -1;
  const sum = crc32(buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len), crc32(buf.subarray(pos, pos + 4)));
  return sum === buf.readUInt32LE(pos + 4) ? pos + HEADER_BYTES + len : -1;
}

export interface RawRecord {
  offset: number;
  payload: Buffer;
}

export interface ScanResult {
  records: RawRecord[];
  /** Offset just after the last good record of the unbroken prefix. */
  goodEnd: number;
  /** If the prefix stops before the end of the buffer: offset of the first well-formed record after the break, or -1. */
  resyncAt: number;
}

/**
 * Reads the unbroken prefix of well-formed records. Where it breaks (short header, impossible
 * length, checksum mismatch), looks for any well-formed record further on: none means the rest
 * is a torn tail (partial write, garbage or zeros); one means real corruption in the middle.
 */
export function scanRecords(buf: Buffer): ScanResult {
  const records: RawRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const end = recordEnd(buf, pos);
    if (end < 0) break;
    records.push({ offset: pos, payload: buf.subarray(pos + HEADER_BYTES, end) });
    pos = end;
  }
  let resyncAt = -1;
  if (pos < buf.length) {
    for (let q = pos + 1; q + HEADER_BYTES < buf.length; q++) {
      if (recordEnd(buf, q) >= 0) {
        resyncAt = q;
        break;
      }
    }
  }
  return { records, goodEnd: pos, resyncAt };
}

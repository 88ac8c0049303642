/**
 * The small part of the ZIP format (PKWARE APPNOTE) that config export and import need: writing
 * deflated entries, and reading stored or deflated entries through the central directory. No
 * ZIP64, encryption or multi-disk archives (an archive using them is refused). Reading is bounded:
 * entry count and total inflated size are capped by the caller, so a small "zip bomb" cannot
 * make the server allocate without limit.
 */
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

export interface ZipLimits {
  readonly maxEntries: number;
  /** Sum of the inflated sizes of all entries. */
  readonly maxTotalBytes: number;
}

export class ZipFormatError extends Error {}

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
/** General purpose flag bit 11: the name is UTF-8. */
const UTF8_FLAG = 0x0800;

/** DOS date/time of an epoch ms instant (UTC fields). */
function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  const year = Math.max(1980, d.getUTCFullYear());
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A zip archive of `entries`, each deflated, names in UTF-8. */
export function writeZip(entries: readonly ZipEntry[], nowMs: number): Buffer {
  const { time, date } = dosTime(nowMs);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_SIG, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(UTF8_FLAG, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL_SIG, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(UTF8_FLAG, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_SIG, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

function need(ok: boolean, what: string): void {
  if (!ok) throw new ZipFormatError(what);
}

/** The entries of a zip archive (directories left out); ZipFormatError when it is not one we can read. */
export function readZip(buf: Buffer, limits: ZipLimits): ZipEntry[] {
  // The end record is in the last 22 + 65535 (comment) bytes.
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === END_SIG) {
      end = i;
      break;
    }
  }
  need(end >= 0, 'no end of central directory');
  const count = buf.readUInt16LE(end + 10);
  const cdOffset = buf.readUInt32LE(end + 16);
  need(count <= limits.maxEntries, `more than ${limits.maxEntries} entries`);
  need(cdOffset < buf.length, 'central directory out of range');
  const out: ZipEntry[] = [];
  let total = 0;
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    need(p + 46 <= buf.length && buf.readUInt32LE(p) === CENTRAL_SIG, 'bad central directory entry');
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const packedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    need(p + 46 + nameLen <= buf.length, 'name out of range');
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString(flags & UTF8_FLAG ? 'utf8' : 'latin1');
    p += 46 + nameLen + extraLen + commentLen;
    need((flags & 0x1) === 0, 'encrypted entries are not supported');
    need(packedSize !== 0xffffffff && size !== 0xffffffff && localOffset !== 0xffffffff, 'ZIP64 is not supported');
    if (name.endsWith('/')) continue;
    total += size;
    need(total <= limits.maxTotalBytes, `more than ${limits.maxTotalBytes} bytes inflated`);
    need(localOffset + 30 <= buf.length && buf.readUInt32LE(localOffset) === LOCAL_SIG, 'bad local header');
    const start = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    need(start + packedSize <= buf.length, 'entry data out of range');
    const packed = buf.subarray(start, start + packedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(packed);
    else if (method === 8) {
      try {
        data = inflateRawSync(packed, { maxOutputLength: Math.max(1, size) });
      } catch {
        throw new ZipFormatError(`entry ${name} does not inflate to its size`);
      }
    } else throw new ZipFormatError(`compression method ${method} is not supported`);
    need(data.length === size && crc32(data) === crc, `entry ${name} is corrupt`);
    out.push({ name, data });
  }
  return out;
}

/**
 * A minimal, dependency-free codec for the Nacos gRPC envelope (docs/protocol/grpc.md §1.1–1.2):
 *
 *   message Metadata { string type = 3; map<string,string> headers = 7; string clientIp = 8; }
 *   message Payload  { Metadata metadata = 2; google.protobuf.Any body = 3; }
 *   message Any      { string type_url = 1; bytes value = 2; }
 *
 * The body's `value` is the UTF-8 JSON of the request or response. The load generators encode and
 * decode by hand (no protobufjs) so the client side costs as little CPU as possible; the servers
 * under test use their own: the bare echo @grpc/proto-loader, Nomen src/wire/protobuf.ts.
 */

const WT_LEN = 2;
const WT_VARINT = 0;
const WT_I64 = 1;
const WT_I32 = 5;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Size of a length-delimited field (tag + length + bytes); tags here are all one byte. */
function lenFieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

function writeLenField(buf: Buffer, pos: number, tag: number, data: Buffer): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, data.length);
  data.copy(buf, pos);
  return pos + data.length;
}

const TAG = {
  payloadMetadata: (2 << 3) | WT_LEN,
  payloadBody: (3 << 3) | WT_LEN,
  metadataType: (3 << 3) | WT_LEN,
  metadataHeaders: (7 << 3) | WT_LEN,
  metadataClientIp: (8 << 3) | WT_LEN,
  entryKey: (1 << 3) | WT_LEN,
  entryValue: (2 << 3) | WT_LEN,
  anyTypeUrl: (1 << 3) | WT_LEN,
  anyValue: (2 << 3) | WT_LEN,
} as const;

export interface EncodeOptions {
  headers?: Readonly<Record<string, string>>;
  clientIp?: string;
}

/** Encodes a Payload whose body is the given JSON text (or bytes), typed as `type`. */
export function encodePayload(type: string, json: string | Buffer, opts: EncodeOptions = {}): Buffer {
  return encodeWithPrefix(type, json, opts, 0);
}

/**
 * The same Payload inside a gRPC length-prefixed message (1 byte "compressed" = 0, 4 bytes
 * big-endian length), ready to be written on an HTTP/2 stream.
 */
export function encodeGrpcMessage(type: string, json: string | Buffer, opts: EncodeOptions = {}): Buffer {
  const out = encodeWithPrefix(type, json, opts, 5);
  out[0] = 0;
  out.writeUInt32BE(out.length - 5, 1);
  return out;
}

function encodeWithPrefix(type: string, json: string | Buffer, opts: EncodeOptions, prefix: number): Buffer {
  const typeBytes = Buffer.from(type, 'utf8');
  const value = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
  const ipBytes = opts.clientIp ? Buffer.from(opts.clientIp, 'utf8') : null;
  const entries: Buffer[] = [];
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    const kb = Buffer.from(k, 'utf8');
    const vb = Buffer.from(v, 'utf8');
    const e = Buffer.allocUnsafe(lenFieldSize(kb.length) + lenFieldSize(vb.length));
    writeLenField(e, writeLenField(e, 0, TAG.entryKey, kb), TAG.entryValue, vb);
    entries.push(e);
  }
  let metaLen = lenFieldSize(typeBytes.length);
  for (const e of entries) metaLen += lenFieldSize(e.length);
  if (ipBytes) metaLen += lenFieldSize(ipBytes.length);
  const anyLen = lenFieldSize(typeBytes.length) + lenFieldSize(value.length);
  const out = Buffer.allocUnsafe(prefix + lenFieldSize(metaLen) + lenFieldSize(anyLen));
  let p = prefix;
  out[p++] = TAG.payloadMetadata;
  p = writeVarint(out, p, metaLen);
  p = writeLenField(out, p, TAG.metadataType, typeBytes);
  for (const e of entries) p = writeLenField(out, p, TAG.metadataHeaders, e);
  if (ipBytes) p = writeLenField(out, p, TAG.metadataClientIp, ipBytes);
  out[p++] = TAG.payloadBody;
  p = writeVarint(out, p, anyLen);
  p = writeLenField(out, p, TAG.anyTypeUrl, typeBytes);
  p = writeLenField(out, p, TAG.anyValue, value);
  if (p !== out.length) throw new Error(`payload encode: wrote ${p} of ${out.length} bytes`);
  return out;
}

export interface DecodedPayload {
  /** `Metadata.type`, '' when absent. */
  type: string;
  /** The JSON bytes of the body (`Any.value`). */
  body: Buffer;
}

interface Cursor {
  pos: number;
}

function readVarint(buf: Buffer, c: Cursor): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= buf.length) throw new Error('payload decode: truncated varint');
    const b = buf[c.pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
  }
  throw new Error('payload decode: varint too long');
}

/** Calls `onField(fieldNo, start, end)` for every length-delimited field of `buf[start,end)`; skips others. */
function forEachLenField(buf: Buffer, start: number, end: number, onField: (field: number, s: number, e: number) => void): void {
  const c: Cursor = { pos: start };
  while (c.pos < end) {
    const key = readVarint(buf, c);
    const field = key >>> 3;
    const wt = key & 7;
    if (wt === WT_LEN) {
      const len = readVarint(buf, c);
      const s = c.pos;
      c.pos += len;
      if (c.pos > end) throw new Error('payload decode: field overruns message');
      onField(field, s, c.pos);
    } else if (wt === WT_VARINT) readVarint(buf, c);
    else if (wt === WT_I64) c.pos += 8;
    else if (wt === WT_I32) c.pos += 4;
    else throw new Error(`payload decode: unsupported wire type ${wt}`);
  }
}

export function decodePayload(buf: Buffer): DecodedPayload {
  let type = '';
  let body: Buffer = Buffer.alloc(0);
  forEachLenField(buf, 0, buf.length, (f, s, e) => {
    if (f === 2) {
      forEachLenField(buf, s, e, (mf, ms, me) => {
        if (mf === 3) type = buf.toString('utf8', ms, me);
      });
    } else if (f === 3) {
      forEachLenField(buf, s, e, (af, as, ae) => {
        if (af === 2) body = buf.subarray(as, ae);
      });
    }
  });
  return { type, body };
}

/** Reads `"resultCode":NNN` from a response body without a full JSON parse (Nacos responses usually start with it). */
export function quickResultCode(body: Buffer): number | null {
  const re = /"resultCode"\s*:\s*(-?\d+)/;
  const m = re.exec(body.toString('latin1', 0, Math.min(body.length, 200))) ?? re.exec(body.toString('latin1'));
  return m ? Number(m[1]) : null;
}

/**
 * Reassembles gRPC length-prefixed messages from HTTP/2 DATA chunks (which may split or merge
 * messages arbitrarily). Compressed messages are not supported (nobody here negotiates compression).
 */
export class GrpcMessageReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds a chunk; returns the complete messages it finished (payload bytes, prefix stripped). */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 5) {
      if (this.buf[0] !== 0) throw new Error('compressed gRPC messages are not supported');
      const len = this.buf.readUInt32BE(1);
      if (this.buf.length < 5 + len) break;
      out.push(this.buf.subarray(5, 5 + len));
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }
}

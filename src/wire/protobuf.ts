/**
 * A hand-written protobuf codec for the one message the Nacos gRPC services carry (docs/protocol/grpc.md §1.1):
 *
 *   message Metadata { string type = 3; map<string,string> headers = 7; string clientIp = 8; }
 *   message Payload  { Metadata metadata = 2; google.protobuf.Any body = 3; }
 *   message Any      { string type_url = 1; bytes value = 2; }
 *
 * The servers use it instead of protobufjs (via @grpc/proto-loader): decoding yields the already
 * typed `InboundEnvelope` (so no schema check is needed afterwards), encoding writes the bytes in
 * one buffer without building intermediate objects, and the server does not load the .proto at all
 * (less start-up time and memory). Decoding follows protobuf rules: unknown fields of any wire type
 * are skipped, a repeated scalar field keeps its last value, repeated sub-messages merge, map
 * entries with a missing key or value read as ''. Strings are decoded as UTF-8 with replacement
 * (as protobufjs does); the body bytes are validated later, when the JSON is parsed.
 */
import type { WirePayload } from './codec.js';

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_I32 = 5;

/** A decoded `Payload`: every field present, with protobuf defaults for absent ones. */
export class InboundEnvelope {
  constructor(
    readonly type: string,
    readonly clientIp: string,
    readonly headers: Record<string, string>,
    readonly typeUrl: string,
    readonly bodyBytes: Uint8Array,
  ) {}
}

export class WireError extends Error {}

const EMPTY = new Uint8Array(0);

interface Cursor {
  pos: number;
}

function readVarint(buf: Uint8Array, c: Cursor, end: number): number {
  // Fast path: one byte.
  if (c.pos < end) {
    const b = buf[c.pos]!;
    if (b < 0x80) {
      c.pos++;
      return b;
    }
  }
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= end) throw new WireError('truncated varint');
    const b = buf[c.pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
  }
  throw new WireError('varint too long');
}

/** Reads a field key; returns the end of the field's data for WT_LEN (start in `c.pos`), else skips it and returns -1. */
function lenFieldEnd(buf: Uint8Array, c: Cursor, end: number, wt: number): number {
  switch (wt) {
    case WT_LEN: {
      const len = readVarint(buf, c, end);
      const e = c.pos + len;
      if (e > end) throw new WireError('field overruns message');
      return e;
    }
    case WT_VARINT:
      readVarint(buf, c, end);
      return -1;
    case WT_I64:
      c.pos += 8;
      if (c.pos > end) throw new WireError('truncated fixed64');
      return -1;
    case WT_I32:
      c.pos += 4;
      if (c.pos > end) throw new WireError('truncated fixed32');
      return -1;
    default:
      // Groups (3, 4) are not valid in proto3 messages; 6 and 7 do not exist.
      throw new WireError(`invalid wire type ${wt}`);
  }
}

function str(buf: Buffer, s: number, e: number): string {
  return s === e ? '' : buf.toString('utf8', s, e);
}

/** Decodes Payload bytes. Throws WireError on malformed protobuf. */
export function decodePayload(buf: Buffer): InboundEnvelope {
  let type = '';
  let clientIp = '';
  let headers: Record<string, string> | null = null;
  let typeUrl = '';
  let body: Uint8Array = EMPTY;
  const c: Cursor = { pos: 0 };
  const end = buf.length;
  while (c.pos < end) {
    const key = readVarint(buf, c, end);
    const field = key >>> 3;
    const fe = lenFieldEnd(buf, c, end, key & 7);
    if (fe < 0) continue;
    if (field === 2) {
      // Metadata
      while (c.pos < fe) {
        const k = readVarint(buf, c, fe);
        const f = k >>> 3;
        const e = lenFieldEnd(buf, c, fe, k & 7);
        if (e < 0) continue;
        if (f === 3) type = str(buf, c.pos, e);
        else if (f === 8) clientIp = str(buf, c.pos, e);
        else if (f === 7) {
          let mk = '';
          let mv = '';
          while (c.pos < e) {
            const kk = readVarint(buf, c, e);
            const ke = lenFieldEnd(buf, c, e, kk & 7);
            if (ke < 0) continue;
            if (kk >>> 3 === 1) mk = str(buf, c.pos, ke);
            else if (kk >>> 3 === 2) mv = str(buf, c.pos, ke);
            c.pos = ke;
          }
          headers ??= {};
          headers[mk] = mv;
        }
        c.pos = e;
      }
    } else if (field === 3) {
      // Any
      while (c.pos < fe) {
        const k = readVarint(buf, c, fe);
        const e = lenFieldEnd(buf, c, fe, k & 7);
        if (e < 0) continue;
        if (k >>> 3 === 1) typeUrl = str(buf, c.pos, e);
        else if (k >>> 3 === 2) body = buf.subarray(c.pos, e);
        c.pos = e;
      }
    }
    c.pos = fe;
  }
  return new InboundEnvelope(type, clientIp, headers ?? {}, typeUrl, body);
}

// ---------------------------------------------------------------------------------------------
// Encoding

const TAG_PAYLOAD_METADATA = (2 << 3) | WT_LEN;
const TAG_PAYLOAD_BODY = (3 << 3) | WT_LEN;
const TAG_METADATA_TYPE = (3 << 3) | WT_LEN;
const TAG_METADATA_HEADERS = (7 << 3) | WT_LEN;
const TAG_METADATA_CLIENT_IP = (8 << 3) | WT_LEN;
const TAG_KEY = (1 << 3) | WT_LEN;
const TAG_VALUE = (2 << 3) | WT_LEN;

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

function lenField(len: number): number {
  return 1 + varintSize(len) + len;
}

function utf8Length(s: string): number {
  return s === '' ? 0 : Buffer.byteLength(s, 'utf8');
}

/**
 * Encodes a Payload. `body` is the JSON text, its bytes, or pieces of either in order. Server replies pass no headers and no
 * clientIp (docs/protocol/grpc.md §1.2); both are written only when non-empty.
 */
export function encodePayload(
  type: string,
  body: string | Uint8Array | readonly (string | Uint8Array)[],
  headers?: Readonly<Record<string, string>>,
  clientIp?: string,
  typeUrl: string = type,
): Buffer {
  const typeLen = utf8Length(type);
  const urlLen = typeUrl === type ? typeLen : utf8Length(typeUrl);
  let bodyLen = 0;
  if (typeof body === 'string') bodyLen = utf8Length(body);
  else if (body instanceof Uint8Array) bodyLen = body.length;
  else for (const c of body) bodyLen += typeof c === 'string' ? utf8Length(c) : c.length;
  let metaLen = lenField(typeLen);
  let entries: [number, number, string, string][] | null = null;
  if (headers) {
    for (const k in headers) {
      const v = headers[k]!;
      const kl = utf8Length(k);
      const vl = utf8Length(v);
      (entries ??= []).push([kl, vl, k, v]);
      metaLen += lenField(lenField(kl) + lenField(vl));
    }
  }
  const ipLen = clientIp ? utf8Length(clientIp) : 0;
  if (ipLen > 0) metaLen += lenField(ipLen);
  const anyLen = lenField(urlLen) + lenField(bodyLen);
  const out = Buffer.allocUnsafe(lenField(metaLen) + lenField(anyLen));
  let p = 0;
  out[p++] = TAG_PAYLOAD_METADATA;
  p = writeVarint(out, p, metaLen);
  out[p++] = TAG_METADATA_TYPE;
  p = writeVarint(out, p, typeLen);
  p += out.write(type, p, 'utf8');
  if (entries) {
    for (const [kl, vl, k, v] of entries) {
      out[p++] = TAG_METADATA_HEADERS;
      p = writeVarint(out, p, lenField(kl) + lenField(vl));
      out[p++] = TAG_KEY;
      p = writeVarint(out, p, kl);
      p += out.write(k, p, 'utf8');
      out[p++] = TAG_VALUE;
      p = writeVarint(out, p, vl);
      p += out.write(v, p, 'utf8');
    }
  }
  if (ipLen > 0) {
    out[p++] = TAG_METADATA_CLIENT_IP;
    p = writeVarint(out, p, ipLen);
    p += out.write(clientIp!, p, 'utf8');
  }
  out[p++] = TAG_PAYLOAD_BODY;
  p = writeVarint(out, p, anyLen);
  out[p++] = TAG_KEY;
  p = writeVarint(out, p, urlLen);
  p += out.write(typeUrl, p, 'utf8');
  out[p++] = TAG_VALUE;
  p = writeVarint(out, p, bodyLen);
  if (typeof body === 'string') p += out.write(body, p, 'utf8');
  else if (body instanceof Uint8Array) {
    out.set(body, p);
    p += bodyLen;
  } else {
    for (const c of body) {
      if (typeof c === 'string') p += out.write(c, p, 'utf8');
      else {
        out.set(c, p);
        p += c.length;
      }
    }
  }
  if (p !== out.length) throw new WireError(`payload encode: wrote ${p} of ${out.length} bytes`);
  return out;
}

/** Encodes a proto-loader shaped payload object (what `codec.encode` builds). */
export function encodeWirePayload(v: WirePayload): Buffer {
  const md = v.metadata;
  return encodePayload(md.type, v.body.value, md.headers, md.clientIp, v.body.type_url);
}

/**
 * Frames of the member stream (docs/raft.md "Raft transport"). One frame is one gRPC message on
 * the `/nomen.MemberStream/open` bidi call, so gRPC's own 5-byte prefix delimits frames; the
 * first byte of a frame is its kind:
 *
 *   1 CHALLENGE  server → client  JSON {server, nonce}             the stream-open challenge
 *   2 HELLO      client → server  JSON {member, server, nonce, proof}
 *   3 WELCOME    server → client  JSON {proof}                      the server's proof (mutual)
 *   4 SEND       client → server  u32 0  · u16 n · type (n bytes UTF-8) · body (JSON)   one-way
 *   5 CALL       client → server  u32 id · u16 n · type · body                         a request
 *   6 REPLY      server → client  u32 id · u16 n · type · body                         its answer
 *   7 CHUNK      client → server  u32 transfer · u8 last · bytes    a piece of one frame too large
 *                                                                 to send whole (a snapshot)
 *
 * Integers are big-endian. Decoding never throws: a malformed frame is an error value.
 */
export const FRAME = { CHALLENGE: 1, HELLO: 2, WELCOME: 3, SEND: 4, CALL: 5, REPLY: 6, CHUNK: 7 } as const;

export type HandshakeKind = typeof FRAME.CHALLENGE | typeof FRAME.HELLO | typeof FRAME.WELCOME;
export type MessageKind = typeof FRAME.SEND | typeof FRAME.CALL | typeof FRAME.REPLY;

export type Frame =
  | { kind: HandshakeKind; json: unknown }
  | { kind: MessageKind; id: number; type: string; body: Buffer }
  | { kind: typeof FRAME.CHUNK; transfer: number; last: boolean; data: Buffer };

const MAX_TYPE_BYTES = 0xffff;

export function encodeHandshake(kind: HandshakeKind, json: object): Buffer {
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  const out = Buffer.allocUnsafe(1 + text.length);
  out[0] = kind;
  text.copy(out, 1);
  return out;
}

export function encodeMessage(kind: MessageKind, id: number, type: string, body: string | Buffer): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError(`frame id out of range: ${id}`);
  const typeBytes = Buffer.from(type, 'utf8');
  if (typeBytes.length > MAX_TYPE_BYTES) throw new RangeError('frame type too long');
  const bodyLen = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const out = Buffer.allocUnsafe(7 + typeBytes.length + bodyLen);
  out[0] = kind;
  out.writeUInt32BE(id, 1);
  out.writeUInt16BE(typeBytes.length, 5);
  typeBytes.copy(out, 7);
  if (typeof body === 'string') out.write(body, 7 + typeBytes.length, 'utf8');
  else body.copy(out, 7 + typeBytes.length);
  return out;
}

/** Splits an encoded frame into CHUNK frames of at most `chunkBytes` payload each. */
export function* chunkFrames(frame: Buffer, transfer: number, chunkBytes: number): Generator<Buffer> {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new RangeError(`invalid chunk size ${chunkBytes}`);
  for (let off = 0; off < frame.length; off += chunkBytes) {
    const part = frame.subarray(off, Math.min(frame.length, off + chunkBytes));
    const out = Buffer.allocUnsafe(6 + part.length);
    out[0] = FRAME.CHUNK;
    out.writeUInt32BE(transfer >>> 0, 1);
    out[5] = off + chunkBytes >= frame.length ? 1 : 0;
    part.copy(out, 6);
    yield out;
  }
}

export function decodeFrame(buf: Buffer): Frame | { error: string } {
  if (buf.length < 1) return { error: 'empty frame' };
  const kind = buf[0]!;
  switch (kind) {
    case FRAME.CHALLENGE:
    case FRAME.HELLO:
    case FRAME.WELCOME: {
      try {
        return { kind, json: JSON.parse(buf.toString('utf8', 1)) as unknown };
      } catch {
        return { error: `frame ${kind}: invalid JSON` };
      }
    }
    case FRAME.SEND:
    case FRAME.CALL:
    case FRAME.REPLY: {
      if (buf.length < 7) return { error: `frame ${kind}: truncated header` };
      const n = buf.readUInt16BE(5);
      if (buf.length < 7 + n) return { error: `frame ${kind}: truncated type` };
      return { kind, id: buf.readUInt32BE(1), type: buf.toString('utf8', 7, 7 + n), body: buf.subarray(7 + n) };
    }
    case FRAME.CHUNK: {
      if (buf.length < 6 || buf[5]! > 1) return { error: 'chunk frame: bad header' };
      return { kind, transfer: buf.readUInt32BE(1), last: buf[5] === 1, data: buf.subarray(6) };
    }
    default:
      return { error: `unknown frame kind ${kind}` };
  }
}

/**
 * Reassembles chunked frames. The stream is ordered and a sender has one transfer going at a time,
 * so chunks of another transfer before the last one are a protocol error. The total is bounded.
 */
export class ChunkAssembler {
  private transfer = -1;
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The whole frame when `c` was its last chunk, null while more are expected. */
  add(c: { transfer: number; last: boolean; data: Buffer }): Buffer | null | { error: string } {
    if (this.transfer !== -1 && c.transfer !== this.transfer) return { error: `chunk of transfer ${c.transfer} while ${this.transfer} is incomplete` };
    this.transfer = c.transfer;
    this.bytes += c.data.length;
    if (this.bytes > this.maxBytes) return { error: `chunked frame exceeds ${this.maxBytes} bytes` };
    this.parts.push(c.data);
    if (!c.last) return null;
    const whole = Buffer.concat(this.parts, this.bytes);
    this.transfer = -1;
    this.parts = [];
    this.bytes = 0;
    return whole;
  }
}

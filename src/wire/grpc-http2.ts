/**
 * gRPC over node:http2, the pieces shared by our two gRPC servers and the cluster client
 * (docs/sdk-transport.md: the SDK port; docs/raft.md "Raft transport": the cluster port): the
 * 5-byte length prefix (framer and reader), the status trailers and their `grpc-message`
 * encoding, `grpc-timeout`, the inbound size limit, and one server-side call on one HTTP/2 stream.
 *
 * The wire is plain gRPC (HTTP/2 mapping of the gRPC spec), so a grpc-js peer talks to it
 * unchanged: statuses are sent as trailers (`grpc-status`, percent-encoded `grpc-message`), or as
 * a trailers-only response when no header was sent yet. A stream the server finished while the
 * client still sends is not reset (grpc-js servers do not either: a grpc-js client that gets
 * RST_STREAM(NO_ERROR) while writing reports INTERNAL instead of the status sent); what the client
 * still sends is read and dropped until it half-closes.
 */
import * as http2 from 'node:http2';

/** The gRPC status codes our servers and clients use. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** `RESOURCE_EXHAUSTED` for 8, the number itself for a code we do not name. */
export function grpcStatusName(code: number): string {
  for (const [name, c] of Object.entries(GrpcStatus)) if (c === code) return name;
  return String(code);
}

export const RESPONSE_HEADERS: http2.OutgoingHttpHeaders = Object.freeze({ ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-accept-encoding': 'identity' });
export const OK_TRAILERS: http2.OutgoingHttpHeaders = Object.freeze({ 'grpc-status': '0' });
/** `respond` options of a reply with trailers: node:http2 only reads them, so one frozen object serves every call. */
const WAIT_FOR_TRAILERS: http2.ServerStreamResponseOptions = Object.freeze({ waitForTrailers: true });

const TIMEOUT_RE = /^(\d{1,8})([HMSmun])$/;
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` in ms; null when malformed. */
export function parseGrpcTimeout(v: string): number | null {
  const m = TIMEOUT_RE.exec(v);
  return m ? (Number(m[1]) * TIMEOUT_UNIT_MS[m[2]!]!) | 0 : null;
}

/** Percent-encodes a grpc-message: bytes outside printable ASCII, and `%` itself (gRPC HTTP/2 spec). */
export function encodeGrpcMessage(msg: string): string {
  let plain = true;
  for (let i = 0; i < msg.length; i++) {
    const c = msg.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return msg;
  let out = '';
  for (const b of Buffer.from(msg, 'utf8')) out += b < 0x20 || b > 0x7e || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  return out;
}

/** The inverse of encodeGrpcMessage; a malformed escape is kept as written. */
export function decodeGrpcMessage(v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** A gRPC length-prefixed message: flag 0, 4-byte big-endian length, the bytes. */
export function frameMessage(payload: Buffer): Buffer {
  const n = payload.length;
  const out = Buffer.allocUnsafe(n + 5);
  // Byte stores and TypedArray#set: cheaper than writeUInt32BE + Buffer#copy for the small
  // messages of the register path (docs/benchmarks.md "Register path, third pass").
  out[0] = 0;
  out[1] = n >>> 24;
  out[2] = (n >>> 16) & 0xff;
  out[3] = (n >>> 8) & 0xff;
  out[4] = n & 0xff;
  out.set(payload, 5);
  return out;
}

export function statusHeaders(code: number, message: string): http2.OutgoingHttpHeaders {
  return message ? { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) } : { 'grpc-status': String(code) };
}

/** The status a response's headers or trailers carry; null when they carry none. */
export function statusOf(h: http2.IncomingHttpHeaders): { code: number; details: string } | null {
  const s = h['grpc-status'];
  if (typeof s !== 'string') return null;
  const code = Number(s);
  const m = h['grpc-message'];
  return { code: Number.isInteger(code) ? code : GrpcStatus.UNKNOWN, details: typeof m === 'string' ? decodeGrpcMessage(m) : '' };
}

/** Not POST: HTTP 405; content-type not `application/grpc*`: HTTP 415 (as grpc-js). False when refused. */
export function isGrpcRequest(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean {
  const ct = headers['content-type'];
  const status = headers[':method'] !== 'POST' ? 405 : typeof ct !== 'string' || !ct.startsWith('application/grpc') ? 415 : 0;
  if (status !== 0) stream.respond({ ':status': status }, { endStream: true });
  return status === 0;
}

/**
 * Splits the DATA of one stream into length-prefixed messages; a message is copied only when it
 * spans chunks. A bad prefix (compressed, unknown flag, above the limit) calls `onError` once and
 * stops the reader.
 */
export class MessageReader {
  onMessage: (m: Buffer) => void = () => undefined;
  onError: (code: number, message: string) => void = () => undefined;
  stopped = false;
  /** Only for a prefix split across chunks (rare): allocated then, not per call. */
  private prefix: Buffer | null = null;
  private prefixFill = 0;
  private body: Buffer | null = null;
  private bodyFill = 0;

  /** `encoding`: the stream's `grpc-encoding` header (we accept identity only). */
  constructor(
    private readonly maxInbound: number,
    private readonly encoding: string | string[] | undefined,
  ) {}

  /** A message prefix or body was begun and not completed. */
  partial(): boolean {
    return this.prefixFill > 0 || this.body !== null;
  }

  push(chunk: Buffer): void {
    let off = 0;
    const n = chunk.length;
    while (off < n && !this.stopped) {
      const body = this.body;
      if (body) {
        const take = Math.min(body.length - this.bodyFill, n - off);
        chunk.copy(body, this.bodyFill, off, off + take);
        this.bodyFill += take;
        off += take;
        if (this.bodyFill === body.length) {
          this.body = null;
          this.onMessage(body);
        }
        continue;
      }
      let flag: number;
      let len: number;
      if (this.prefixFill === 0 && n - off >= 5) {
        flag = chunk[off]!;
        len = chunk.readUInt32BE(off + 1);
        off += 5;
      } else {
        const prefix = (this.prefix ??= Buffer.allocUnsafe(5));
        const take = Math.min(5 - this.prefixFill, n - off);
        chunk.copy(prefix, this.prefixFill, off, off + take);
        this.prefixFill += take;
        off += take;
        if (this.prefixFill < 5) return;
        this.prefixFill = 0;
        flag = prefix[0]!;
        len = prefix.readUInt32BE(1);
      }
      if (!this.acceptPrefix(flag, len)) return;
      if (n - off >= len) {
        // The whole message is in this chunk (the usual case): no copy.
        const m = chunk.subarray(off, off + len);
        off += len;
        this.onMessage(m);
      } else {
        this.body = Buffer.allocUnsafe(len);
        this.bodyFill = 0;
      }
    }
  }

  private fail(code: number, message: string): false {
    this.stopped = true;
    this.onError(code, message);
    return false;
  }

  private acceptPrefix(flag: number, len: number): boolean {
    if (flag === 1) {
      const enc = this.encoding;
      if (typeof enc === 'string' && enc !== 'identity') return this.fail(GrpcStatus.UNIMPLEMENTED, `Received message compressed with unsupported encoding "${enc}"`);
      return this.fail(GrpcStatus.INTERNAL, 'Received compressed message but "grpc-encoding" header was identity');
    }
    if (flag !== 0) return this.fail(GrpcStatus.INTERNAL, `Invalid message flag ${flag}`);
    if (len > this.maxInbound) return this.fail(GrpcStatus.RESOURCE_EXHAUSTED, `Received message larger than max (${len} vs. ${this.maxInbound})`);
    return true;
  }
}

/** The 'wantTrailers' listener of a unary reply (`this` is the stream). */
function sendOkTrailers(this: http2.ServerHttp2Stream): void {
  if (!this.destroyed) this.sendTrailers(OK_TRAILERS);
}

/** One gRPC call on one server-side HTTP/2 stream: the message reader, the deadline and the status. */
export class GrpcServerCall {
  /** Set once a status is decided (or the call is abandoned): no more reads are delivered. */
  done = false;
  onMessage: (m: Buffer) => void = () => undefined;
  /** Called when the server ends the call with an error status (bidi: the stream is over). */
  onFinish: (why: string) => void = () => undefined;
  private status: http2.OutgoingHttpHeaders = OK_TRAILERS;
  private deadline: NodeJS.Timeout | null = null;
  private readonly reader: MessageReader;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    private readonly headers: http2.IncomingHttpHeaders,
    maxInbound: number,
  ) {
    // Per call: the reader and one 'data' listener. The 'wantTrailers' listener is added only
    // when headers are sent with waitForTrailers (reply(), open()), the 'close' one only with a
    // deadline (docs/benchmarks.md "Register path, third pass").
    const reader = new MessageReader(maxInbound, headers['grpc-encoding']);
    this.reader = reader;
    reader.onMessage = (m) => {
      if (!this.done) this.onMessage(m);
    };
    reader.onError = (code, message) => this.finish(code, message);
    stream.on('data', (chunk: Buffer) => {
      if (!this.done) reader.push(chunk);
    });
  }

  /** Starts the `grpc-timeout` timer; false (and a status sent) when the header is malformed. */
  startDeadline(): boolean {
    const v = this.headers['grpc-timeout'];
    if (typeof v !== 'string') return true;
    const ms = parseGrpcTimeout(v);
    if (ms === null) {
      this.finish(GrpcStatus.INTERNAL, `Invalid grpc-timeout value "${v}"`);
      return false;
    }
    this.deadline = setTimeout(() => this.finish(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'), ms);
    this.stream.on('close', () => this.clearDeadline());
    return true;
  }

  /** Ends the call with `code` (trailers, or trailers-only when nothing was sent yet). */
  finish(code: number, message: string): void {
    if (this.done) return;
    this.done = true;
    this.clearDeadline();
    const s = this.stream;
    if (!s.destroyed && !s.closed) {
      if (!s.headersSent) {
        s.respond({ ...RESPONSE_HEADERS, ...statusHeaders(code, message) }, { endStream: true });
      } else if (!s.writableEnded) {
        this.status = statusHeaders(code, message);
        s.end();
      }
    }
    if (code !== GrpcStatus.OK) this.onFinish(message);
  }

  /** The unary reply: headers, one message, OK trailers. Dropped when the call is over (deadline, cancel). */
  reply(payload: Buffer): void {
    if (this.done) return;
    this.done = true;
    this.clearDeadline();
    const s = this.stream;
    if (s.destroyed || s.closed) return;
    // A unary reply always ends with OK: one shared listener, no closure per call.
    s.on('wantTrailers', sendOkTrailers);
    s.respond(RESPONSE_HEADERS, WAIT_FOR_TRAILERS);
    s.end(frameMessage(payload));
  }

  /**
   * Unary: `onRequest` gets the one request message once the client half-closed; no message or
   * a second one ends the call with UNIMPLEMENTED (grpc-js' texts).
   */
  readUnary(path: string, onRequest: (m: Buffer) => void): void {
    let msg: Buffer | null = null;
    this.onMessage = (m) => {
      if (msg) this.finish(GrpcStatus.UNIMPLEMENTED, `Received a second request message for server streaming method ${path}`);
      else msg = m;
    };
    // 'end' is emitted at most once: `on` spares the once-wrapper per call.
    this.stream.on('end', () => {
      if (this.done) return;
      if (this.partial()) this.finish(GrpcStatus.INTERNAL, 'Stream ended inside a length-prefixed message');
      else if (!msg) this.finish(GrpcStatus.UNIMPLEMENTED, `Received no request message for server streaming method ${path}`);
      else onRequest(msg);
    });
  }

  /** Streaming: sends the response headers (once, before the first message). */
  open(): void {
    const s = this.stream;
    if (s.headersSent || s.destroyed || s.closed) return;
    s.on('wantTrailers', () => {
      if (!s.destroyed) s.sendTrailers(this.status);
    });
    s.respond(RESPONSE_HEADERS, WAIT_FOR_TRAILERS);
  }

  /** Streaming: one message (after open()); false when the call is over. */
  write(payload: Buffer): boolean {
    return this.writeFramed(frameMessage(payload));
  }

  /** Streaming: one message already framed (`frameMessage`), e.g. bytes shared by many calls. */
  writeFramed(framed: Buffer): boolean {
    const s = this.stream;
    if (this.done || s.destroyed || s.writableEnded) return false;
    s.write(framed);
    return true;
  }

  /** A message prefix or body was begun and not completed. */
  partial(): boolean {
    return this.reader.partial();
  }

  private clearDeadline(): void {
    if (this.deadline) {
      clearTimeout(this.deadline);
      this.deadline = null;
    }
  }
}

/**
 * One keepalive PING on `session`: when it is not acknowledged within `timeoutMs`, `onLost` runs
 * (the caller closes the session). Used by both gRPC servers and the cluster client.
 */
export function pingWithin(session: http2.Http2Session, timeoutMs: number, onLost: () => void): void {
  if (session.closed || session.destroyed) return;
  const t = setTimeout(onLost, timeoutMs);
  t.unref();
  try {
    if (!session.ping(() => clearTimeout(t))) clearTimeout(t);
  } catch {
    clearTimeout(t);
  }
}

/** Graceful close of server sessions: GOAWAY, each ends once its streams have; destroyed after `graceMs`. */
export async function closeSessions(open: readonly http2.Http2Session[], graceMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    let left = open.length;
    if (left === 0) {
      resolve();
      return;
    }
    const t = setTimeout(() => {
      for (const s of open) s.destroy();
      resolve();
    }, Math.max(0, graceMs));
    const done = (): void => {
      if (--left === 0) {
        clearTimeout(t);
        resolve();
      }
    };
    for (const s of open) {
      if (s.closed || s.destroyed) done();
      else s.close(done);
    }
  });
}

/**
 * The SDK port directly on node:http2, with our own gRPC framing (docs/sdk-transport.md has the
 * design and the conformance table). It serves exactly the two Nacos methods; everything a client
 * may send wrong is answered with the gRPC status a grpc server gives, never a crash:
 *
 * - not POST: HTTP 405; content-type not `application/grpc*`: HTTP 415 (as grpc-js);
 * - unknown path: UNIMPLEMENTED; a message with the compressed flag: UNIMPLEMENTED when
 *   `grpc-encoding` names a codec (we accept identity only, and say so in `grpc-accept-encoding`),
 *   INTERNAL when it does not (the flag is a protocol error then); other flag bits: INTERNAL;
 * - a length prefix above the inbound limit: RESOURCE_EXHAUSTED, before any byte is buffered;
 * - unary with no or two messages: UNIMPLEMENTED (grpc-js' texts);
 * - `grpc-timeout`: DEADLINE_EXCEEDED when it passes (a late reply is dropped); malformed: INTERNAL.
 *
 * Statuses are sent as trailers (`grpc-status`, percent-encoded `grpc-message`), or as a
 * trailers-only response when no header was sent yet; a stream the server finished while the
 * client still sends is then reset with NO_ERROR. The server PINGs every session after
 * `keepaliveTimeMs` and closes it without an ack within `keepaliveTimeoutMs`; shutdown sends GOAWAY.
 */
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import { encodeWirePayload } from '../../wire/protobuf.js';
import { decodeInbound } from '../../wire/proto.js';
import type { OutboundPayload } from '../../wire/codec.js';
import type { StreamSink } from './connections.js';
import { BIDI_PATH, peerKey, UNARY_PATH, type SdkTransport, type SdkTransportOptions } from './sdk-transport.js';

/** The gRPC status codes this transport sends. */
export const GrpcStatus = {
  OK: 0,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

/**
 * A push is refused (the sink's write returns false, a `write-failed` PushError the push layer
 * retries) while more than this many bytes wait in the stream's buffer: a client that stops
 * reading cannot make the server buffer without bound.
 */
export const MAX_BUFFERED_PUSH_BYTES = 4 * 1024 * 1024;

const RESPONSE_HEADERS: http2.OutgoingHttpHeaders = Object.freeze({ ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-accept-encoding': 'identity' });
const OK_TRAILERS: http2.OutgoingHttpHeaders = Object.freeze({ 'grpc-status': '0' });
const { NGHTTP2_NO_ERROR } = http2.constants;

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

/** A gRPC length-prefixed message: flag 0, 4-byte big-endian length, the bytes. */
export function frameMessage(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 5);
  out[0] = 0;
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, 5);
  return out;
}

function statusHeaders(code: number, message: string): http2.OutgoingHttpHeaders {
  return message ? { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) } : { 'grpc-status': String(code) };
}

interface SessionState {
  readonly peer: string;
  keepalive: NodeJS.Timeout | null;
}

export class Http2SdkTransport implements SdkTransport {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Map<http2.ServerHttp2Session, SessionState>();

  constructor(private readonly opts: SdkTransportOptions) {
    this.server = http2.createServer();
    this.server.on('session', (s: http2.ServerHttp2Session) => this.onSession(s));
    this.server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      try {
        this.onStream(stream, headers);
      } catch (e) {
        // e.g. a stream reset by the client before we answered: nothing a client does may take the process down.
        this.opts.logger.debug({ err: e }, 'sdk http2 stream refused');
        if (!stream.destroyed) stream.destroy();
      }
    });
    this.server.on('sessionError', (e: Error) => this.opts.logger.debug({ err: e }, 'sdk http2 session error'));
  }

  inject(socket: Socket): void {
    // The documented way to hand an accepted socket to an HTTP server (what grpc-js' injector does).
    this.server.emit('connection', socket);
  }

  async shutdown(graceMs: number): Promise<void> {
    const open = [...this.sessions.keys()];
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
      // close(): GOAWAY, then the session ends once its open streams have.
      for (const s of open) {
        if (s.closed || s.destroyed) done();
        else s.close(done);
      }
    });
  }

  private onSession(session: http2.ServerHttp2Session): void {
    const socket = session.socket;
    const st: SessionState = { peer: peerKey(socket.remoteAddress ?? '', socket.remotePort ?? 0), keepalive: null };
    this.sessions.set(session, st);
    session.on('error', (e: Error) => this.opts.logger.debug({ err: e, peer: st.peer }, 'sdk http2 session error'));
    session.once('close', () => {
      if (st.keepalive) clearInterval(st.keepalive);
      this.sessions.delete(session);
    });
    const { keepaliveTimeMs, keepaliveTimeoutMs } = this.opts;
    if (keepaliveTimeMs > 0) {
      st.keepalive = setInterval(() => this.ping(session, keepaliveTimeoutMs), keepaliveTimeMs);
      st.keepalive.unref();
    }
  }

  private ping(session: http2.ServerHttp2Session, timeoutMs: number): void {
    if (session.closed || session.destroyed) return;
    const t = setTimeout(() => {
      this.opts.logger.debug({ peer: this.sessions.get(session)?.peer }, 'keepalive ping not acked: closing the transport');
      session.destroy();
    }, timeoutMs);
    t.unref();
    try {
      if (!session.ping(() => clearTimeout(t))) clearTimeout(t);
    } catch {
      clearTimeout(t);
    }
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', (e: Error) => this.opts.logger.debug({ err: e }, 'sdk http2 stream error'));
    const st = this.sessions.get(stream.session as http2.ServerHttp2Session);
    if (!st) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (headers[':method'] !== 'POST') {
      stream.respond({ ':status': 405 }, { endStream: true });
      return;
    }
    const ct = headers['content-type'];
    if (typeof ct !== 'string' || !ct.startsWith('application/grpc')) {
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const path = headers[':path'];
    const bidi = path === BIDI_PATH;
    const call = new GrpcCall(stream, headers, this.opts.maxInboundBytes);
    if (!bidi && path !== UNARY_PATH) {
      call.finish(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${path ?? ''}`);
      return;
    }
    if (!call.startDeadline()) return;
    if (bidi) this.serveBidi(call, st.peer);
    else this.serveUnary(call, st.peer);
  }

  private serveUnary(call: GrpcCall, peer: string): void {
    let msg: Buffer | null = null;
    call.onMessage = (m) => {
      if (msg) call.finish(GrpcStatus.UNIMPLEMENTED, `Received a second request message for server streaming method ${UNARY_PATH}`);
      else msg = m;
    };
    call.stream.once('end', () => {
      if (call.done) return;
      if (call.partial()) {
        call.finish(GrpcStatus.INTERNAL, 'Stream ended inside a length-prefixed message');
        return;
      }
      if (!msg) {
        call.finish(GrpcStatus.UNIMPLEMENTED, `Received no request message for server streaming method ${UNARY_PATH}`);
        return;
      }
      const reply = this.opts.host.unary(peer, decodeInbound(msg));
      if (reply instanceof Promise) reply.then((r) => call.reply(r)).catch((e: unknown) => this.opts.logger.error({ err: e }, 'unary reply failed'));
      else call.reply(reply);
    });
  }

  private serveBidi(call: GrpcCall, peer: string): void {
    const stream = call.stream;
    if (stream.destroyed || stream.closed) return;
    stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    const listener = this.opts.host.openStream(peer, call.sink());
    let over = false;
    const closed = (why: string): void => {
      if (over) return;
      over = true;
      listener.closed(why);
    };
    call.onMessage = (m) => {
      if (!over) listener.message(decodeInbound(m));
    };
    call.onFinish = (why) => closed(why);
    stream.once('end', () => closed('stream ended by client'));
    stream.once('aborted', () => closed('stream cancelled'));
    stream.once('close', () => closed('stream closed'));
    stream.once('error', (e: Error) => closed(`stream error: ${e.message}`));
  }
}

/** One gRPC call on one HTTP/2 stream: the message reader, the deadline and the status. */
class GrpcCall {
  /** Set once a status is decided (or the call is abandoned): no more reads are delivered. */
  done = false;
  onMessage: (m: Buffer) => void = () => undefined;
  /** Called when the server ends the call with an error status (bidi: the stream is over). */
  onFinish: (why: string) => void = () => undefined;
  private status: http2.OutgoingHttpHeaders = OK_TRAILERS;
  private deadline: NodeJS.Timeout | null = null;
  private readonly prefix = Buffer.allocUnsafe(5);
  private prefixFill = 0;
  private body: Buffer | null = null;
  private bodyFill = 0;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    private readonly headers: http2.IncomingHttpHeaders,
    private readonly maxInbound: number,
  ) {
    stream.on('wantTrailers', () => {
      if (stream.destroyed) return;
      stream.sendTrailers(this.status);
      if (this.status !== OK_TRAILERS) this.resetIfReading();
    });
    stream.on('data', (chunk: Buffer) => this.read(chunk));
    stream.once('close', () => this.clearDeadline());
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
        this.resetIfReading();
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
    s.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    s.end(frameMessage(payload));
  }

  /** The bidi write side (headers already sent). */
  sink(): StreamSink {
    const s = this.stream;
    return {
      write: (payload: OutboundPayload) => {
        if (this.done || s.destroyed || s.writableEnded) return false;
        // Back-pressure: refuse rather than buffer without bound behind a client that does not read.
        if (s.writableLength > MAX_BUFFERED_PUSH_BYTES) return false;
        s.write(frameMessage(Buffer.isBuffer(payload) ? payload : encodeWirePayload(payload)));
        return true;
      },
      end: () => this.finish(GrpcStatus.OK, ''),
    };
  }

  /** A message prefix or body was begun and not completed. */
  partial(): boolean {
    return this.prefixFill > 0 || this.body !== null;
  }

  private clearDeadline(): void {
    if (this.deadline) {
      clearTimeout(this.deadline);
      this.deadline = null;
    }
  }

  /** The server's response is complete but the client is still sending: RST_STREAM(NO_ERROR) (RFC 9113 §8.1). */
  private resetIfReading(): void {
    const s = this.stream;
    if (!s.readableEnded && !s.destroyed) s.close(NGHTTP2_NO_ERROR);
  }

  /** Checks a message prefix; false when the call was ended for it. */
  private acceptPrefix(flag: number, len: number): boolean {
    if (flag === 1) {
      const enc = this.headers['grpc-encoding'];
      if (typeof enc === 'string' && enc !== 'identity') this.finish(GrpcStatus.UNIMPLEMENTED, `Received message compressed with unsupported encoding "${enc}"`);
      else this.finish(GrpcStatus.INTERNAL, 'Received compressed message but "grpc-encoding" header was identity');
      return false;
    }
    if (flag !== 0) {
      this.finish(GrpcStatus.INTERNAL, `Invalid message flag ${flag}`);
      return false;
    }
    if (len > this.maxInbound) {
      this.finish(GrpcStatus.RESOURCE_EXHAUSTED, `Received message larger than max (${len} vs. ${this.maxInbound})`);
      return false;
    }
    return true;
  }

  /** Splits DATA into length-prefixed messages; a message is copied only when it spans chunks. */
  private read(chunk: Buffer): void {
    let off = 0;
    const n = chunk.length;
    while (off < n && !this.done) {
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
        const take = Math.min(5 - this.prefixFill, n - off);
        chunk.copy(this.prefix, this.prefixFill, off, off + take);
        this.prefixFill += take;
        off += take;
        if (this.prefixFill < 5) return;
        this.prefixFill = 0;
        flag = this.prefix[0]!;
        len = this.prefix.readUInt32BE(1);
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
}

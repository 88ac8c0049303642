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
 * The framing, statuses and call are shared with the cluster port (src/wire/grpc-http2.ts).
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
import type { SharedPayload, StreamSink } from './connections.js';
import { closeSessions, frameMessage, GrpcServerCall, GrpcStatus, isGrpcRequest, pingWithin } from '../../wire/grpc-http2.js';
export { encodeGrpcMessage, frameMessage, parseGrpcTimeout } from '../../wire/grpc-http2.js';
import { BIDI_PATH, peerKey, UNARY_PATH, type SdkTransport, type SdkTransportOptions } from './sdk-transport.js';

/**
 * A push is refused (the sink's write returns false, a `write-failed` PushError the push layer
 * retries) while more than this many bytes wait in the stream's buffer: a client that stops
 * reading cannot make the server buffer without bound.
 */
export const MAX_BUFFERED_PUSH_BYTES = 4 * 1024 * 1024;

interface SessionState {
  readonly peer: string;
  keepalive: NodeJS.Timeout | null;
}

export class Http2SdkTransport implements SdkTransport {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Map<http2.ServerHttp2Session, SessionState>();

  constructor(private readonly opts: SdkTransportOptions) {
    this.server = http2.createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER, maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER });
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
    await closeSessions([...this.sessions.keys()], graceMs);
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
    pingWithin(session, timeoutMs, () => {
      this.opts.logger.debug({ peer: this.sessions.get(session)?.peer }, 'keepalive ping not acked: closing the transport');
      session.destroy();
    });
  }

  /** One listener shared by every stream (not a closure per stream). */
  private readonly onStreamError = (e: Error): void => this.opts.logger.debug({ err: e }, 'sdk http2 stream error');

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', this.onStreamError);
    const st = this.sessions.get(stream.session as http2.ServerHttp2Session);
    if (!st) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (!isGrpcRequest(stream, headers)) return;
    const path = headers[':path'];
    const bidi = path === BIDI_PATH;
    const call = new GrpcServerCall(stream, headers, this.opts.maxInboundBytes);
    if (!bidi && path !== UNARY_PATH) {
      call.finish(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${path ?? ''}`);
      return;
    }
    if (!call.startDeadline()) return;
    if (bidi) this.serveBidi(call, st.peer);
    else this.serveUnary(call, st.peer);
  }

  private serveUnary(call: GrpcServerCall, peer: string): void {
    call.readUnary(UNARY_PATH, (msg) => {
      const reply = this.opts.host.unary(peer, decodeInbound(msg));
      if (reply instanceof Promise) reply.then((r) => call.reply(r)).catch((e: unknown) => this.opts.logger.error({ err: e }, 'unary reply failed'));
      else call.reply(reply);
    });
  }

  private serveBidi(call: GrpcServerCall, peer: string): void {
    const stream = call.stream;
    if (stream.destroyed || stream.closed) return;
    call.open();
    const listener = this.opts.host.openStream(peer, sinkOf(call));
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

/** The bidi write side of a call (headers already sent). */
function sinkOf(call: GrpcServerCall): StreamSink {
  const s = call.stream;
  // Back-pressure: refuse rather than buffer without bound behind a client that does not read.
  const writeFramed = (framed: Buffer): boolean => s.writableLength <= MAX_BUFFERED_PUSH_BYTES && call.writeFramed(framed);
  return {
    write: (payload: OutboundPayload) => writeFramed(frameMessage(Buffer.isBuffer(payload) ? payload : encodeWirePayload(payload))),
    // The same framed Buffer goes to every stream of the round; nothing writes into it.
    writeShared: (shared: SharedPayload) => writeFramed((shared.framed ??= frameMessage(shared.payload))),
    end: () => call.finish(GrpcStatus.OK, ''),
  };
}

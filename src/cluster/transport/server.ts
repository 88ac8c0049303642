/**
 * The server side of the cluster transport: `/Request/request` (unary) on the cluster port
 * (main port + 1001, docs/protocol/distro.md §6.1), framed with the SDK's Payload codec (docs/protocol/grpc.md §1).
 * Requests are authenticated (auth.ts) before anything else, then dispatched by `Metadata.type`.
 * Every failure is answered in-band as an ErrorResponse, like the Java server (docs/protocol/grpc.md §1.2):
 *   502 undecodable payload or body, 403 not a member, 302 no handler, NacosError → its status,
 *   anything else → 500.
 */
import { randomBytes } from 'node:crypto';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Clock } from '../../core/clock.js';
import { NacosError } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import {
  bodyJson,
  decodeEnvelope,
  encode,
  errorResponse,
  exceptionResponse,
  parseJsonBody,
  withResponseDefaults,
  type TypedMessage,
  type WirePayload,
} from '../../wire/codec.js';
import { closeSessions, GrpcServerCall, GrpcStatus, isGrpcRequest } from '../../wire/grpc-http2.js';
import { decodeInbound, UndecodablePayload } from '../../wire/proto.js';
import { encodeWirePayload } from '../../wire/protobuf.js';
import type { ClusterAuthenticator } from './auth.js';
import { StreamSession } from './stream-session.js';
import { serverTlsOptions, type ClusterTlsMaterial } from './tls.js';

/** The member stream (stream-frame.ts): one bidi call per sending member, frames as raw bytes. */
export const MEMBER_STREAM_PATH = '/nomen.MemberStream/open';
/** The unary method, the SDK's (docs/protocol/grpc.md §1.1). */
export const UNARY_PATH = '/Request/request';

export interface MemberStreamServerOptions {
  /** This member's address (`ip:mainPort`), the `server` of every stream-open challenge. */
  self: string;
  secret: string;
  isMember: (address: string) => boolean;
  handshakeTimeoutMs: number;
}

/** `from` is the authenticated sender's member address (`ip:mainPort`). */
export type ClusterHandler = (body: unknown, from: string) => Promise<object | string> | object | string;

export interface ClusterServerOptions {
  host: string;
  port: number;
  logger: Logger;
  clock: Clock;
  auth: ClusterAuthenticator;
  maxInboundBytes: number;
  tls?: ClusterTlsMaterial | null;
  /** How long stop() lets in-flight calls finish before cancelling them. */
  shutdownGraceMs: number;
  stream: MemberStreamServerOptions;
}

export const MSG_NO_HANDLER = 'RequestHandler Not Found';
/** Refusals are logged at warn at most this often (a flood of bad calls must not flood the log). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export class ClusterServer {
  private readonly handlers = new Map<string, ClusterHandler>();
  private server: http2.Http2Server | http2.Http2SecureServer | null = null;
  private readonly h2sessions = new Set<http2.ServerHttp2Session>();
  private port = 0;
  private lastRefusalLog = -Infinity;
  private suppressedRefusals = 0;
  /** Open member streams, each with what ends it (stop() ends them all with OK). */
  private readonly sessions = new Set<() => void>();
  received = 0;
  refused = 0;
  streamsOpened = 0;
  streamFrames = 0;

  constructor(private readonly o: ClusterServerOptions) {}

  get boundPort(): number {
    return this.port;
  }

  handle(type: string, handler: ClusterHandler): void {
    if (this.handlers.has(type)) throw new Error(`a cluster handler for ${type} is already registered`);
    this.handlers.set(type, handler);
  }

  /**
   * Serves gRPC on node:http2 with our framing (src/wire/grpc-http2.ts, docs/raft.md "Raft
   * transport"); the wire is what grpc-js served before, so members of either build talk.
   */
  async start(): Promise<void> {
    if (this.server) throw new Error('cluster server already started');
    // grpc-js lifts node's 10 MB per-session memory cap too: a burst of frames must not reset the session.
    const settings = { maxSessionMemory: Number.MAX_SAFE_INTEGER };
    const server = this.o.tls ? http2.createSecureServer({ ...settings, ...serverTlsOptions(this.o.tls) }) : http2.createServer(settings);
    // Replies (forwarded writes' answers) go out at once, not after the peer's delayed ACK (Nagle).
    server.on('connection', (socket: Socket) => socket.setNoDelay(true));
    server.on('session', (s: http2.ServerHttp2Session) => {
      this.h2sessions.add(s);
      s.on('error', (e: Error) => this.o.logger.debug({ err: e }, 'cluster http2 session error'));
      s.once('close', () => this.h2sessions.delete(s));
    });
    server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      try {
        this.onH2Stream(stream, headers);
      } catch (e) {
        // e.g. a stream reset before we answered: nothing a peer does may take the process down.
        this.o.logger.debug({ err: e }, 'cluster http2 stream refused');
        if (!stream.destroyed) stream.destroy();
      }
    });
    server.on('sessionError', (e: Error) => this.o.logger.debug({ err: e }, 'cluster http2 session error'));
    this.server = server;
    try {
      this.port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.o.port, this.o.host, () => {
          server.off('error', reject);
          const a = server.address();
          resolve(typeof a === 'object' && a ? a.port : this.o.port);
        });
      });
    } catch (e) {
      this.server = null;
      server.close();
      throw e;
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.close();
    // Member streams never end by themselves: close them so a graceful shutdown does not wait.
    for (const end of [...this.sessions]) end();
    await closeSessions([...this.h2sessions], this.o.shutdownGraceMs);
  }

  private onH2Stream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', (e: Error) => this.o.logger.debug({ err: e }, 'cluster http2 stream error'));
    if (!isGrpcRequest(stream, headers)) return;
    const path = headers[':path'];
    const call = new GrpcServerCall(stream, headers, this.o.maxInboundBytes);
    if (path !== UNARY_PATH && path !== MEMBER_STREAM_PATH) {
      call.finish(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${path ?? ''}`);
      return;
    }
    if (!call.startDeadline()) return;
    const sock = stream.session?.socket;
    const peer = `${sock?.remoteAddress ?? ''}:${sock?.remotePort ?? 0}`;
    if (path === UNARY_PATH) call.readUnary(UNARY_PATH, (msg) => this.onCall(call, decodeInbound(msg), peer));
    else this.onStream(call, peer);
  }

  private onCall(call: GrpcServerCall, request: unknown, peer: string): void {
    this.received++;
    this.dispatch(request, peer)
      .then((reply) => call.reply(encodeWirePayload(encodeReply(reply, this.o.logger))))
      .catch((e: unknown) => this.o.logger.error({ err: e }, 'cluster reply failed'));
  }

  /** One member stream: authenticated once by its session, then frames go to the same handlers. */
  private onStream(call: GrpcServerCall, peer: string): void {
    let ended = false;
    const finish = (): void => {
      if (ended) return;
      ended = true;
      this.sessions.delete(endOk);
      session.stop();
    };
    const endOk = (): void => {
      finish();
      call.finish(GrpcStatus.OK, '');
    };
    const session = new StreamSession({
      ...this.o.stream,
      nonce: () => randomBytes(32).toString('hex'),
      clock: this.o.clock,
      maxInboundBytes: this.o.maxInboundBytes,
      dispatch: (type, body, from, reply) => this.run(type, body, from).then((r) => (reply ? replyJson(r, this.o.logger) : null)),
      write: (frame) => {
        if (!ended) call.write(frame);
      },
      close: (end) => {
        if (ended) return;
        if (end === null) return endOk();
        finish();
        if (end.code === 'unauthenticated') {
          this.refused++;
          this.logRefusal(peer, 'member stream', end.failure, end.detail);
        } else {
          this.o.logger.warn({ peer, from: session.member, detail: end.detail }, 'member stream closed: protocol error');
        }
        const code = end.code === 'unauthenticated' ? GrpcStatus.UNAUTHENTICATED : GrpcStatus.INVALID_ARGUMENT;
        call.finish(code, end.code === 'unauthenticated' ? `cluster authentication failed: ${end.failure}` : end.detail);
      },
    });
    this.sessions.add(endOk);
    this.streamsOpened++;
    call.open();
    call.onMessage = (frame: Buffer) => {
      this.streamFrames++;
      session.onFrame(frame);
    };
    // An error status of ours (e.g. RESOURCE_EXHAUSTED for an oversized frame) ends the stream.
    call.onFinish = finish;
    const stream = call.stream;
    stream.once('end', () => {
      if (!ended) endOk();
    });
    stream.once('aborted', finish);
    stream.once('close', finish);
    stream.once('error', finish);
    session.start();
  }

  /** Never rejects. */
  private async dispatch(raw: unknown, peer: string): Promise<TypedMessage> {
    if (raw instanceof UndecodablePayload) return errorResponse(502, raw.reason);
    const env = decodeEnvelope(raw);
    if (!env.ok) return errorResponse(502, env.error);
    // Authentication before the handler lookup: a non-member learns nothing about what we serve.
    const auth = this.o.auth.verify({ type: env.type, headers: env.headers, bodyBytes: env.bodyBytes });
    if (!auth.ok) {
      this.refused++;
      this.logRefusal(peer, env.type, auth.failure, auth.detail);
      return errorResponse(403, `cluster authentication failed: ${auth.failure}`);
    }
    return this.run(env.type, env.bodyBytes, auth.from);
  }

  /**
   * Runs the handler of an authenticated request. Never rejects. The handler is called before the
   * first await, so frames of one member stream reach their handlers in arrival order.
   */
  private async run(type: string, bodyBytes: Uint8Array, from: string): Promise<TypedMessage> {
    const handler = this.handlers.get(type);
    if (!handler) return errorResponse(302, MSG_NO_HANDLER);
    const parsed = parseJsonBody(bodyBytes);
    if (!parsed.ok) return errorResponse(502, parsed.error);
    try {
      const body = await handler(parsed.body, from);
      if (typeof body !== 'string' && (typeof body !== 'object' || body === null)) {
        this.o.logger.error({ type }, 'cluster handler returned neither an object nor JSON text');
        return errorResponse(500, `handler for ${type} returned an invalid result`);
      }
      return { type: responseTypeOf(type), body };
    } catch (e) {
      if (e instanceof NacosError) {
        this.o.logger.debug({ err: e, type, from }, 'cluster handler rejected request');
        return exceptionResponse(e);
      }
      this.o.logger.error({ err: e, type, from }, 'cluster handler failed');
      return errorResponse(500, e instanceof Error ? e.message : String(e));
    }
  }

  private logRefusal(peer: string, type: string, failure: string, detail: string): void {
    const now = this.o.clock.monotonic();
    if (now - this.lastRefusalLog < REFUSAL_LOG_INTERVAL_MS) {
      this.suppressedRefusals++;
      this.o.logger.debug({ peer, type, failure, detail }, 'refused unauthenticated cluster request');
      return;
    }
    this.lastRefusalLog = now;
    const suppressed = this.suppressedRefusals;
    this.suppressedRefusals = 0;
    this.o.logger.warn({ peer, type, failure, detail, suppressed }, 'refused unauthenticated cluster request');
  }
}

/** `DistroDataRequest` → `DistroDataResponse`; any other name gets `Response` appended. */
export function responseTypeOf(requestType: string): string {
  return requestType.endsWith('Request') ? `${requestType.slice(0, -'Request'.length)}Response` : `${requestType}Response`;
}

const SUCCESS_FIELDS = '"resultCode":200,"errorCode":0,"message":null,"requestId":null,"success":true';

/**
 * A handler may return pre-encoded JSON text (e.g. a snapshot chunk) that we do not want to parse.
 * The common response fields are put in FRONT of its own: JSON.parse keeps the last of duplicate
 * keys, so a text that sets e.g. `"resultCode":500` still wins. Only Nomen reads cluster replies
 * (docs/protocol/distro.md §6.1: no wire compatibility needed), so duplicate keys are acceptable here.
 * Null if the text is not a JSON object.
 */
export function withSuccessFieldsText(json: string): string | null {
  const open = json.indexOf('{');
  if (open < 0 || json.slice(0, open).trim() !== '') return null;
  const rest = json.slice(open + 1);
  const sep = rest.trimStart().startsWith('}') ? '' : ',';
  return `{${SUCCESS_FIELDS}${sep}${rest}`;
}

/** The reply's type and JSON text with the common response fields (unary and stream replies alike). */
export function replyJson(reply: TypedMessage, logger: Logger): { type: string; json: string } {
  const failed = (message: string): { type: string; json: string } => {
    const e = errorResponse(500, message);
    return { type: e.type, json: bodyJson(e.body) };
  };
  try {
    if (typeof reply.body === 'string') {
      const text = withSuccessFieldsText(reply.body);
      return text === null ? failed('handler returned JSON text that is not an object') : { type: reply.type, json: text };
    }
    return { type: reply.type, json: bodyJson(withResponseDefaults(reply.body)) };
  } catch (e) {
    logger.error({ err: e, type: reply.type }, 'cannot encode cluster response');
    return failed('cannot encode response');
  }
}

function encodeReply(reply: TypedMessage, logger: Logger): WirePayload {
  const r = replyJson(reply, logger);
  return encode(r.type, r.json);
}

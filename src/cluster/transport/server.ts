/**
 * The server side of the cluster transport: `/Request/request` (unary) on the cluster port
 * (main port + 1001, docs/protocol/distro.md §6.1), framed with the SDK's Payload codec (docs/protocol/grpc.md §1).
 * Requests are authenticated (auth.ts) before anything else, then dispatched by `Metadata.type`.
 * Every failure is answered in-band as an ErrorResponse, like the Java server (docs/protocol/grpc.md §1.2):
 *   502 undecodable payload or body, 403 not a member, 302 no handler, NacosError → its status,
 *   anything else → 500.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
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
import { sdkServiceDefinitions, UndecodablePayload } from '../../wire/proto.js';
import type { ClusterAuthenticator } from './auth.js';
import { StreamSession } from './stream-session.js';
import { serverCredentials, type ClusterTlsMaterial } from './tls.js';

/** The member stream (stream-frame.ts): one bidi call per sending member, frames as raw bytes. */
export const MEMBER_STREAM_PATH = '/nomen.MemberStream/open';
const raw = (b: Buffer): Buffer => b;
export const memberStreamMethod: grpc.MethodDefinition<Buffer, Buffer> = {
  path: MEMBER_STREAM_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
};

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
  private server: grpc.Server | null = null;
  private port = 0;
  private lastRefusalLog = -Infinity;
  private suppressedRefusals = 0;
  private readonly sessions = new Set<grpc.ServerDuplexStream<Buffer, Buffer>>();
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

  async start(): Promise<void> {
    if (this.server) throw new Error('cluster server already started');
    const server = new grpc.Server({ 'grpc.max_receive_message_length': this.o.maxInboundBytes, 'grpc.enable_channelz': 0 });
    // The SDK's definitions: their deserializer never throws, bad protobuf arrives as UndecodablePayload.
    const defs = sdkServiceDefinitions();
    const request: grpc.handleUnaryCall<unknown, WirePayload> = (call, callback) => this.onCall(call, callback);
    server.addService(defs.request, { request });
    const open: grpc.handleBidiStreamingCall<Buffer, Buffer> = (call) => this.onStream(call);
    server.addService({ open: memberStreamMethod } as grpc.ServiceDefinition, { open });
    this.server = server;
    const host = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    try {
      this.port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`${host}:${this.o.port}`, serverCredentials(this.o.tls), (err, port) => (err ? reject(err) : resolve(port))),
      );
    } catch (e) {
      this.server = null;
      server.forceShutdown();
      throw e;
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    // Member streams never end by themselves: close them so a graceful shutdown does not wait.
    for (const call of [...this.sessions]) call.end();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.o.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private onCall(call: grpc.ServerUnaryCall<unknown, WirePayload>, callback: grpc.sendUnaryData<WirePayload>): void {
    this.received++;
    this.dispatch(call.request, call.getPeer())
      .then((reply) => callback(null, encodeReply(reply, this.o.logger)))
      .catch((e: unknown) => this.o.logger.error({ err: e }, 'cluster reply failed'));
  }

  /** One member stream: authenticated once by its session, then frames go to the same handlers. */
  private onStream(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    const peer = call.getPeer();
    let ended = false;
    const finish = (): void => {
      ended = true;
      this.sessions.delete(call);
      session.stop();
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
        finish();
        if (end === null) return void call.end();
        if (end.code === 'unauthenticated') {
          this.refused++;
          this.logRefusal(peer, 'member stream', end.failure, end.detail);
        } else {
          this.o.logger.warn({ peer, from: session.member, detail: end.detail }, 'member stream closed: protocol error');
        }
        const code = end.code === 'unauthenticated' ? grpc.status.UNAUTHENTICATED : grpc.status.INVALID_ARGUMENT;
        call.emit('error', { code, details: end.code === 'unauthenticated' ? `cluster authentication failed: ${end.failure}` : end.detail });
      },
    });
    this.sessions.add(call);
    this.streamsOpened++;
    call.on('data', (frame: Buffer) => {
      this.streamFrames++;
      session.onFrame(frame);
    });
    call.on('end', () => {
      if (ended) return;
      finish();
      call.end();
    });
    call.on('error', () => finish());
    call.on('cancelled', () => finish());
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

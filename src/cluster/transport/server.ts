/**
 * The server side of the cluster transport: `/Request/request` (unary) on the cluster port
 * (main port + 1001, docs/protocol/distro.md §6.1), framed with the SDK's Payload codec (docs/protocol/grpc.md §1).
 * Requests are authenticated (auth.ts) before anything else, then dispatched by `Metadata.type`.
 * Every failure is answered in-band as an ErrorResponse, like the Java server (docs/protocol/grpc.md §1.2):
 *   502 undecodable payload or body, 403 not a member, 302 no handler, NacosError → its status,
 *   anything else → 500.
 */
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../core/clock.js';
import { NacosError } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import {
  decodeEnvelope,
  encode,
  encodeMessage,
  errorResponse,
  exceptionResponse,
  parseJsonBody,
  withResponseDefaults,
  type TypedMessage,
  type WirePayload,
} from '../../wire/codec.js';
import { sdkServiceDefinitions, UndecodablePayload } from '../../wire/proto.js';
import type { ClusterAuthenticator } from './auth.js';
import { serverCredentials, type ClusterTlsMaterial } from './tls.js';

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
  received = 0;
  refused = 0;

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
    const handler = this.handlers.get(env.type);
    if (!handler) return errorResponse(302, MSG_NO_HANDLER);
    const parsed = parseJsonBody(env.bodyBytes);
    if (!parsed.ok) return errorResponse(502, parsed.error);
    try {
      const body = await handler(parsed.body, auth.from);
      if (typeof body !== 'string' && (typeof body !== 'object' || body === null)) {
        this.o.logger.error({ type: env.type }, 'cluster handler returned neither an object nor JSON text');
        return errorResponse(500, `handler for ${env.type} returned an invalid result`);
      }
      return { type: responseTypeOf(env.type), body };
    } catch (e) {
      if (e instanceof NacosError) {
        this.o.logger.debug({ err: e, type: env.type, from: auth.from }, 'cluster handler rejected request');
        return exceptionResponse(e);
      }
      this.o.logger.error({ err: e, type: env.type, from: auth.from }, 'cluster handler failed');
      return errorResponse(500, e instanceof Error ? e.message : String(e));
    }
  }

  private logRefusal(peer: string, type: string, failure: string, detail: string): void {
    const now = this.o.clock.now();
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

function encodeReply(reply: TypedMessage, logger: Logger): WirePayload {
  try {
    if (typeof reply.body === 'string') {
      const text = withSuccessFieldsText(reply.body);
      if (text === null) return encodeMessage(errorResponse(500, 'handler returned JSON text that is not an object'));
      return encode(reply.type, text);
    }
    return encode(reply.type, withResponseDefaults(reply.body));
  } catch (e) {
    logger.error({ err: e, type: reply.type }, 'cannot encode cluster response');
    return encodeMessage(errorResponse(500, 'cannot encode response'));
  }
}

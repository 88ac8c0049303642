/**
 * The SDK gRPC server (default port P+1000): the Nacos 2.x/3.x connection protocol, with no naming
 * logic. The naming layer plugs request handlers in with `registerHandler`, listens to connection
 * events and pushes with `push`. Facts: docs/protocol/grpc.md §1, 3, 5 and 8.5.
 *
 * Transport: we accept TCP ourselves and hand each socket to the gRPC transport (grpc-js through a
 * connection injector, or our own node:http2 one; docs/sdk-transport.md). That gives us what grpc-js does not expose otherwise and the Java server has
 * (AddressTransportFilter): a hook when a transport comes up (the connection id is assigned then,
 * docs/protocol/grpc.md §3.1) and when it goes down (unregister, docs/protocol/grpc.md §3.9), and a way to close an abandoned
 * transport. Calls are matched to their transport by `call.getPeer()` (`ip:port`).
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Logger } from '../../observability/logger.js';
import { ClientDetector } from './client-detector.js';
import {
  bodyJson,
  bodyWire,
  decode,
  decodeEnvelope,
  errorResponse,
  exceptionResponse,
  fixedReplySlot,
  okResponse,
  parseJsonBody,
  serverRequestBody,
  withResponseDefaults,
  JsonChunks,
  type Decoded,
  type TypedMessage,
} from '../../wire/codec.js';
import { ConnectionRegistry, SharedPayload, type AckCallback, type Connection, type ConnectionInfo, type ConnectionListener, type StreamSink } from './connections.js';
import { UndecodablePayload, type InboundMessage } from '../../wire/proto.js';
import { PushError } from './push-error.js';
import { readAck, readSetup } from './validation.js';
import { encodePayload } from '../../wire/protobuf.js';
import { peerKey, type BidiListener, type SdkCallHost, type SdkTransport, type SdkTransportKind } from './sdk-transport.js';
import { Http2SdkTransport } from './sdk-transport-http2.js';

export type HandlerResult = TypedMessage;

/** A server request encoded once (`SdkGrpcServer.prepare`), to be sent to many connections. */
export interface PreparedRequest {
  readonly type: string;
  readonly requestId: string;
  /** The encoded Payload, shared by every stream it is written to. */
  readonly payload: SharedPayload;
}

export interface RequestContext {
  /** The registered connection the request arrived on. */
  readonly connection: ConnectionInfo;
  /** `Metadata.headers` merged over the body's `headers` (e.g. `app`, `accessToken`; docs/protocol/grpc.md §1.2, 6). */
  readonly headers: Readonly<Record<string, string>>;
  /** The request's self-reported `Metadata.clientIp`, or the connection's when empty. */
  readonly clientIp: string;
}

export type RequestHandler = (body: unknown, ctx: RequestContext) => Promise<HandlerResult> | HandlerResult;

/**
 * Step 6 of the checks (docs/protocol/grpc.md §5.2), e.g. auth: runs after the body is parsed, before the handler.
 * Returns null to let the request through, or the reply that refuses it.
 */
export type RequestAuthorizer = (type: string, body: Readonly<Record<string, unknown>>, ctx: RequestContext) => Promise<TypedMessage | null>;

export interface SdkGrpcServerOptions {
  host: string;
  /** 0 picks a free port; see `boundPort`. */
  port: number;
  logger: Logger;
  clock?: Clock;
  /** Inbound message limit; the Java server and client allow 10 MiB (docs/protocol/grpc.md §1.2). */
  maxInboundBytes?: number;
  /** Idle time after which a connection is probed with ClientDetectionRequest (docs/protocol/grpc.md §3.7: 20 s). */
  idleEjectMs?: number;
  /** Sweep period of the idle check (docs/protocol/grpc.md §3.7: 3 s). */
  detectIntervalMs?: number;
  /** ClientDetectionRequest ack timeout (docs/protocol/grpc.md §3.7: 5 s). */
  detectTimeoutMs?: number;
  /** False while the server is starting: requests get ErrorResponse 300 and setups are refused. */
  isReady?: () => boolean;
  /** Optional request filter (auth); absent: every registered request reaches its handler. */
  authorize?: RequestAuthorizer;
  /** Which gRPC implementation serves the port (docs/sdk-transport.md); default `grpc-js`. */
  transport?: SdkTransportKind;
  /** Server HTTP/2 keepalive PING interval, ms (0 = none); default 7200000 (grpc-js' and Nacos'). */
  keepaliveTimeMs?: number;
  /** Keepalive PING ack timeout, ms; default 20000. */
  keepaliveTimeoutMs?: number;
}

// Exact texts of the Java server (docs/protocol/grpc.md §5.2).
const MSG_STARTING = 'Server is starting,please try later.';
const MSG_UNREGISTERED = 'Connection is unregistered.';
const MSG_NO_HANDLER = 'RequestHandler Not Found';

/** Abilities we always announce in SetupAckRequest (docs/protocol/grpc.md §3.5). No lock/mcp: not supported. */
const SERVER_ABILITIES = { supportPersistentInstanceByGrpc: true } as const;
/**
 * Announced while a handler of `NamingFuzzyWatchRequest` or `ConfigFuzzyWatchRequest` is registered:
 * it makes Java 3.x clients use the naming and config fuzzy watch (docs/fuzzy-watch.md).
 */
const FUZZY_WATCH_ABILITY = { fuzzyWatch: true } as const;

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class SdkGrpcServer {
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly isReady: () => boolean;
  private readonly maxInboundBytes: number;
  private readonly detectTimeoutMs: number;
  private readonly registry: ConnectionRegistry;
  private readonly detector: ClientDetector;
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly sockets = new Set<Socket>();
  private state: State = 'new';
  private transport: SdkTransport | null = null;
  private netServer: NetServer | null = null;
  private port = 0;
  private starting: Promise<void> | null = null;
  /** False once `stopAccepting()` ran (drain): new transports and setups are refused. */
  private accepting = true;

  constructor(private readonly opts: SdkGrpcServerOptions) {
    // Used as given: the composition root passes a logger already bound to this component.
    this.logger = opts.logger;
    this.clock = opts.clock ?? systemClock;
    this.isReady = opts.isReady ?? (() => true);
    this.maxInboundBytes = opts.maxInboundBytes ?? 10 * 1024 * 1024;
    this.detectTimeoutMs = opts.detectTimeoutMs ?? 5000;
    this.registry = new ConnectionRegistry(this.clock, this.logger);
    this.detector = new ClientDetector({
      registry: this.registry,
      clock: this.clock,
      logger: this.logger,
      idleEjectMs: opts.idleEjectMs ?? 20_000,
      intervalMs: opts.detectIntervalMs ?? 3000,
      probe: (conn) => this.push(conn.id, 'ClientDetectionRequest', { module: 'internal' }, this.detectTimeoutMs),
      eject: (conn, reason) => this.dropConnection(conn, reason),
    });
    // HealthCheck is an ordinary handler, so it gets the registration check (docs/protocol/grpc.md §3.6: 301 when
    // unregistered, which is how clients notice a forgotten connection).
    this.handlers.set('HealthCheckRequest', () => ({ type: 'HealthCheckResponse', body: okResponse() }));
  }

  /** The listening port (useful with `port: 0`); 0 before `start()`. */
  get boundPort(): number {
    return this.port;
  }

  /** Handles unary requests whose `Metadata.type` is `type`. One handler per type. */
  registerHandler(type: string, handler: RequestHandler): void {
    if (type === 'ServerCheckRequest') throw new Error('ServerCheckRequest is answered by the transport');
    if (type === 'HealthCheckRequest') throw new Error('HealthCheckRequest is answered by the transport');
    if (this.handlers.has(type)) throw new Error(`a handler for ${type} is already registered`);
    this.handlers.set(type, handler);
  }

  /** Fired when a connection registers (its ConnectionSetupRequest arrived). */
  onConnected(l: ConnectionListener): void {
    this.registry.onConnected(l);
  }

  /** Fired exactly once per registration, when it ends (stream end/cancel/error, transport close, ejection, reset, stop). */
  onDisconnected(l: ConnectionListener): void {
    this.registry.onDisconnected(l);
  }

  /**
   * Sends a server-to-client request on the connection's bi-stream and waits for the client's
   * ack. The body gets `"headers":{}` and a per-connection string `requestId` (docs/protocol/grpc.md §3.10). A string
   * body (or JsonChunks) is pre-encoded JSON of an object without `headers`/`requestId`; the fields
   * are spliced in without re-parsing it. Rejects with a PushError: unknown-connection, closed, timeout, nack,
   * write-failed.
   */
  async push(connectionId: string, type: string, bodyWithoutRequestId: object | string, timeoutMs: number): Promise<void> {
    await this.request(connectionId, type, bodyWithoutRequestId, timeoutMs);
  }

  /** `push`, resolving with the client's response body (e.g. a ClientConfigMetricResponse). */
  request(connectionId: string, type: string, bodyWithoutRequestId: object | string, timeoutMs: number): Promise<Record<string, unknown>> {
    const conn = this.registry.get(connectionId);
    const stream = conn?.stream;
    if (!conn || !stream) {
      return Promise.reject(new PushError('unknown-connection', `no registered connection ${connectionId}`));
    }
    const requestId = conn.nextRequestId();
    let payload: Buffer;
    try {
      payload = encodePayload(type, bodyWire(serverRequestBody(bodyWithoutRequestId, requestId)));
    } catch (e) {
      return Promise.reject(new PushError('write-failed', `cannot encode ${type}: ${e instanceof Error ? e.message : String(e)}`));
    }
    const ack = conn.expectAck(requestId, timeoutMs);
    if (!stream.write(payload)) conn.failAck(requestId, new PushError('write-failed', `stream of ${conn.id} is not writable`));
    return ack;
  }

  /**
   * Encodes a server request once for many connections (one push round): the Payload carries a
   * requestId no connection has seen, so `sendPrepared` can write the same bytes to each of them.
   * Throws a `write-failed` PushError when the body cannot be encoded.
   */
  prepare(type: string, bodyWithoutRequestId: object | string): PreparedRequest {
    const requestId = this.registry.requestIds.next();
    try {
      return { type, requestId, payload: new SharedPayload(encodePayload(type, bodyWire(serverRequestBody(bodyWithoutRequestId, requestId)))) };
    } catch (e) {
      throw new PushError('write-failed', `cannot encode ${type}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * `push` of a prepared request: writes its bytes on the connection's bi-stream and waits for the
   * ack. A prepared request goes at most once to a connection (its ack is matched by requestId);
   * a second send while the first waits is refused (`write-failed`, the push layer retries).
   */
  /**
   * Writes a prepared request on the connection's bi-stream and waits for the ack, without a
   * promise (the push fan-out's path: no promise, timer or closure of its own per push): `done`
   * runs once, with the ack's body or the PushError, possibly before this returns (unknown
   * connection, refused write). A prepared request goes at most once to a connection (its ack is
   * matched by requestId); a second send while the first waits is refused (`write-failed`, the
   * push layer retries).
   */
  sendPrepared(connectionId: string, req: PreparedRequest, timeoutMs: number, done: AckCallback): void {
    const conn = this.registry.get(connectionId);
    const stream = conn?.stream;
    if (!conn || !stream) {
      done(new PushError('unknown-connection', `no registered connection ${connectionId}`), null);
      return;
    }
    if (conn.awaitsAck(req.requestId)) {
      done(new PushError('write-failed', `request ${req.requestId} already sent on ${conn.id}`), null);
      return;
    }
    conn.awaitAck(req.requestId, timeoutMs, done);
    const written = stream.writeShared ? stream.writeShared(req.payload) : stream.write(req.payload.payload);
    if (!written) conn.failAck(req.requestId, new PushError('write-failed', `stream of ${conn.id} is not writable`));
  }

  /**
   * Asks the client to reconnect (ConnectResetRequest, docs/protocol/grpc.md §3.8), then unregisters the connection
   * and ends its bi-stream. `serverIp`/`serverPort` name the main (HTTP) port to move to; omit
   * both for "anywhere". Rust SDKs ignore the request but react to the stream end (docs/protocol/grpc.md §3.9).
   * Returns false if no such registered connection.
   */
  resetConnection(connectionId: string, serverIp?: string, serverPort?: number | string): boolean {
    const conn = this.registry.get(connectionId);
    const stream = conn?.stream;
    if (!conn || !stream) return false;
    const body: Record<string, unknown> = { module: 'internal', connectionId: conn.id };
    if (serverIp !== undefined) body['serverIp'] = serverIp;
    // serverPort is a string on the wire (docs/protocol/grpc.md §3.8).
    if (serverPort !== undefined) body['serverPort'] = String(serverPort);
    this.sendNoAck(conn, stream, 'ConnectResetRequest', body);
    this.dropConnection(conn, 'reset by server');
    return true;
  }

  /**
   * Unregisters the connection and ends its bi-stream without asking the client first (e.g. it
   * failed too many pushes in a row); the client notices the stream end and reconnects. Returns
   * false if no such registered connection.
   */
  disconnect(connectionId: string, reason: string): boolean {
    const conn = this.registry.get(connectionId);
    if (!conn?.registered) return false;
    this.dropConnection(conn, reason);
    return true;
  }

  /**
   * Drain: closes the listening socket (new TCP connections are refused, so SDKs try the next
   * server of their list) and refuses setups on transports already open. Registered connections
   * are left alone; the caller moves them with `resetConnection`.
   */
  stopAccepting(): void {
    if (!this.accepting) return;
    this.accepting = false;
    this.netServer?.close();
    this.logger.info('sdk grpc server no longer accepts connections');
  }

  /** Whether new connections are accepted (false after `stopAccepting()`). */
  get isAccepting(): boolean {
    return this.accepting && this.state === 'running';
  }

  /** Number of registered connections. */
  connectionCount(): number {
    return this.registry.registeredCount();
  }

  listConnections(): ConnectionInfo[] {
    return this.registry.registeredConnections();
  }

  getConnection(connectionId: string): ConnectionInfo | undefined {
    return this.registry.get(connectionId);
  }

  start(): Promise<void> {
    if (this.state !== 'new') return Promise.reject(new Error(`cannot start: server is ${this.state}`));
    this.state = 'starting';
    this.starting = this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const host: SdkCallHost = {
      unary: (peer, msg) => this.handleUnary(peer, msg),
      openStream: (peer, sink) => this.openStream(peer, sink),
    };
    const topts = {
      host,
      logger: this.logger,
      maxInboundBytes: this.maxInboundBytes,
      keepaliveTimeMs: this.opts.keepaliveTimeMs ?? 7_200_000,
      keepaliveTimeoutMs: this.opts.keepaliveTimeoutMs ?? 20_000,
    };
    // grpc-js is loaded only when it serves the port (docs/sdk-transport.md).
    const transport =
      this.opts.transport === 'http2' ? new Http2SdkTransport(topts) : new (await import('./sdk-transport-grpcjs.js')).GrpcJsSdkTransport(topts);
    this.transport = transport;
    const net = createServer((socket) => this.onSocket(socket));
    this.netServer = net;
    try {
      await new Promise<void>((resolve, reject) => {
        net.once('error', reject);
        net.listen(this.opts.port, this.opts.host, () => {
          net.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      this.state = 'stopped';
      await transport.shutdown(0);
      throw e;
    }
    net.on('error', (e) => this.logger.error({ err: e }, 'sdk grpc listener error'));
    const addr = net.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    this.state = 'running';
    this.detector.start();
    this.logger.info({ host: this.opts.host, port: this.port, transport: this.opts.transport ?? 'grpc-js' }, 'sdk grpc server listening');
  }

  /**
   * Stops accepting, unregisters every connection (firing onDisconnected), ends the streams, lets
   * in-flight calls finish for up to `graceMs`, then closes everything.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    if (this.state === 'starting') await this.starting?.catch(() => undefined);
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.detector.stop();
    const net = this.netServer;
    const netClosed = new Promise<void>((resolve) => (net?.listening ? net.close(() => resolve()) : resolve()));
    for (const conn of this.registry.registeredConnections()) this.dropConnection(conn, 'server stopping');
    await this.transport?.shutdown(graceMs);
    // The transport closed its HTTP/2 sessions (GOAWAY, then forced after the grace); now drop the sockets.
    for (const s of this.sockets) s.destroy();
    for (const conn of this.registry.transports()) this.registry.closeTransport(conn, 'server stopped');
    await netClosed;
    this.state = 'stopped';
    this.logger.info('sdk grpc server stopped');
  }

  // ---- transports -----------------------------------------------------------------------------

  private onSocket(socket: Socket): void {
    const ip = socket.remoteAddress;
    const port = socket.remotePort;
    if (this.state !== 'running' || !this.accepting || !this.transport || ip === undefined || port === undefined) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    // `::ffff:1.2.3.4` (dual-stack listener) is shown as 1.2.3.4; the peer key keeps grpc-js' form.
    const remoteIp = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    const conn = this.registry.openTransport(peerKey(ip, port), remoteIp, port, () => socket.destroy());
    socket.on('error', (e) => this.logger.debug({ err: e, connectionId: conn.id }, 'sdk transport error'));
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.registry.closeTransport(conn, 'transport closed');
    });
    this.transport.inject(socket);
  }

  /** Unregisters (once) and ends the connection's stream; the transport is closed later if left idle. */
  private dropConnection(conn: Connection, reason: string): void {
    const stream = conn.stream;
    this.registry.unregister(conn, reason);
    stream?.end();
  }

  /** Writes a server request that expects no ack (SetupAckRequest, ConnectResetRequest). */
  private sendNoAck(conn: Connection, stream: StreamSink, type: string, body: object): void {
    if (!stream.write(encodePayload(type, bodyWire(serverRequestBody(body, conn.nextRequestId()))))) {
      this.logger.debug({ connectionId: conn.id, type }, 'stream not writable');
    }
  }

  // ---- unary ----------------------------------------------------------------------------------

  /** A unary call: the encoded reply. Never throws, never rejects. */
  private handleUnary(peer: string, msg: InboundMessage): Buffer | Promise<Buffer> {
    // Synchronous handlers are answered without a promise round trip.
    const reply = this.dispatch(msg, peer);
    return reply instanceof Promise ? reply.then((r) => this.encodeReply(r)) : this.encodeReply(reply);
  }

  /** The Java server's order of checks (docs/protocol/grpc.md §5.2). Never throws, never rejects. */
  private dispatch(raw: InboundMessage, peer: string): TypedMessage | Promise<TypedMessage> {
    const conn = this.registry.byPeerKey(peer);
    // Every unary request refreshes the connection's activity (docs/protocol/grpc.md §3.6).
    if (conn) conn.lastActive = this.clock.monotonic();
    // 1. started?
    if (!this.isReady()) return errorResponse(300, MSG_STARTING);
    if (raw instanceof UndecodablePayload) return errorResponse(502, raw.reason);
    const env = decodeEnvelope(raw);
    if (!env.ok) return errorResponse(502, env.error);
    // 2. ServerCheck is answered whatever the registration state: Java clients send it before the
    //    stream, Rust clients after (docs/protocol/grpc.md §3.2, 3.3).
    if (env.type === 'ServerCheckRequest') {
      if (!conn) return errorResponse(301, MSG_UNREGISTERED);
      return { type: 'ServerCheckResponse', body: okResponse({ connectionId: conn.id, supportAbilityNegotiation: true }) };
    }
    // 3. handler exists? (before the registration check: an unknown type is 302 even unregistered)
    const handler = this.handlers.get(env.type);
    if (!handler) return errorResponse(302, MSG_NO_HANDLER);
    // 4. registered?
    if (!conn?.registered) return errorResponse(301, MSG_UNREGISTERED);
    // 5. parse
    const parsed = parseJsonBody(env.bodyBytes);
    if (!parsed.ok) return errorResponse(502, parsed.error);
    const ctx: RequestContext = {
      connection: conn,
      headers: mergeHeaders(parsed.body['headers'], env.headers),
      clientIp: env.clientIp || conn.clientIp,
    };
    const type = env.type;
    // 6. filters: the injected authorizer (auth on); the other filters (param check...) belong to the handlers
    const authorize = this.opts.authorize;
    if (authorize) {
      let refusal: Promise<TypedMessage | null>;
      try {
        refusal = authorize(type, parsed.body, ctx);
      } catch (e) {
        return this.handlerFailed(e, type, conn);
      }
      return refusal.then(
        (r) => r ?? this.runHandler(handler, parsed.body, ctx, type, conn),
        (e: unknown) => this.handlerFailed(e, type, conn),
      );
    }
    return this.runHandler(handler, parsed.body, ctx, type, conn);
  }

  /** 7. the handler; synchronous handlers are answered without a promise hop. */
  private runHandler(handler: RequestHandler, body: Readonly<Record<string, unknown>>, ctx: RequestContext, type: string, conn: Connection): TypedMessage | Promise<TypedMessage> {
    let reply: HandlerResult | Promise<HandlerResult>;
    try {
      reply = handler(body, ctx);
    } catch (e) {
      return this.handlerFailed(e, type, conn);
    }
    if (reply instanceof Promise) {
      return reply.then(
        (r) => this.checkReply(r, type),
        (e: unknown) => this.handlerFailed(e, type, conn),
      );
    }
    return this.checkReply(reply, type);
  }

  private checkReply(reply: unknown, type: string): TypedMessage {
    if (isTypedMessage(reply)) return reply;
    this.logger.error({ type }, 'handler returned no {type, body}');
    return errorResponse(500, `handler for ${type} returned an invalid result`);
  }

  private handlerFailed(e: unknown, type: string, conn: Connection): TypedMessage {
    // NacosError-like rejections are expected; anything else is a bug worth an error log.
    const expected = typeof e === 'object' && e !== null && typeof (e as { status?: unknown }).status === 'number';
    if (expected) this.logger.debug({ err: e, type, connectionId: conn.id }, 'handler rejected request');
    else this.logger.error({ err: e, type, connectionId: conn.id }, 'handler failed');
    return exceptionResponse(e);
  }

  private encodeReply(reply: TypedMessage): Buffer {
    const fixed = fixedReplySlot(reply);
    if (fixed) {
      if (!fixed.bytes) {
        const b = reply.body;
        fixed.bytes = encodePayload(reply.type, typeof b === 'string' || b instanceof JsonChunks ? bodyWire(b) : bodyJson(withResponseDefaults(b)));
      }
      return fixed.bytes;
    }
    try {
      const b = reply.body;
      // Pre-encoded bodies (strings, JsonChunks) are trusted to carry the common fields.
      return encodePayload(reply.type, typeof b === 'string' || b instanceof JsonChunks ? bodyWire(b) : bodyJson(withResponseDefaults(b)));
    } catch (e) {
      this.logger.error({ err: e, type: reply.type }, 'cannot encode response');
      const err = errorResponse(500, 'cannot encode response');
      return encodePayload(err.type, bodyJson(err.body));
    }
  }

  // ---- bi-stream ------------------------------------------------------------------------------

  private openStream(peer: string, sink: StreamSink): BidiListener {
    const conn = this.registry.byPeerKey(peer);
    let closed = false;
    // Any of these ends the registration made on this stream, once (docs/protocol/grpc.md §3.9). A stream that is
    // not (or no longer) the connection's registered stream ends without side effects.
    const onClosed = (why: string): void => {
      if (closed) return;
      closed = true;
      sink.end();
      if (conn && conn.stream === sink) this.registry.unregister(conn, why);
    };
    if (!conn || this.state !== 'running') {
      onClosed('no transport');
      return { message: () => undefined, closed: onClosed };
    }
    return {
      message: (raw) => {
        if (closed) return;
        try {
          this.onStreamMessage(conn, sink, raw);
        } catch (e) {
          // Nothing a client sends may take the process down.
          this.logger.error({ err: e, connectionId: conn.id }, 'stream message handling failed');
        }
      },
      closed: onClosed,
    };
  }

  private onStreamMessage(conn: Connection, sink: StreamSink, raw: InboundMessage): void {
    if (raw instanceof UndecodablePayload) {
      this.logger.warn({ connectionId: conn.id, reason: raw.reason }, 'dropping undecodable stream payload');
      return;
    }
    const d = decode(raw);
    if (!d.ok) {
      this.logger.warn({ connectionId: conn.id, type: d.type, error: d.error }, 'dropping unparsable stream message');
      return;
    }
    if (d.type === 'ConnectionSetupRequest') this.onSetup(conn, sink, d);
    else if (d.type.endsWith('Response')) this.onAck(conn, d);
    // Java logs and drops any other request type arriving on the stream (docs/protocol/grpc.md §3.4).
    else this.logger.warn({ connectionId: conn.id, type: d.type }, 'dropping unexpected stream message');
  }

  /** Registers the connection on its ConnectionSetupRequest (docs/protocol/grpc.md §3.2, 3.4). */
  private onSetup(conn: Connection, sink: StreamSink, d: Decoded): void {
    if (this.state !== 'running' || !this.accepting || !this.isReady()) {
      // Java closes SDK connections that arrive while the server is starting; a draining member too.
      this.logger.info({ connectionId: conn.id, accepting: this.accepting }, 'refusing setup: server not ready');
      sink.end();
      return;
    }
    if (conn.registered) {
      // Java keeps the first registration of a connection id; so do we.
      this.logger.warn({ connectionId: conn.id, sameStream: conn.stream === sink }, 'ignoring repeated ConnectionSetupRequest');
      return;
    }
    const setup = readSetup(d.body, d.clientIp);
    // A non-null abilityTable means a Java 2.2+ client that waits up to 5 s for SetupAckRequest and
    // reconnects forever without it (docs/protocol/grpc.md §3.2). No ack is expected back. Sent before the
    // onConnected listeners run so their work cannot delay the handshake.
    if (setup.hasAbilityTable) {
      const fuzzy = this.handlers.has('NamingFuzzyWatchRequest') || this.handlers.has('ConfigFuzzyWatchRequest');
      const abilityTable = fuzzy ? { ...SERVER_ABILITIES, ...FUZZY_WATCH_ABILITY } : SERVER_ABILITIES;
      this.sendNoAck(conn, sink, 'SetupAckRequest', { abilityTable, module: 'internal' });
    }
    this.registry.register(conn, sink, setup);
  }

  /** A client's response on the stream completes the push with the same requestId (docs/protocol/grpc.md §3.10). */
  private onAck(conn: Connection, d: Decoded): void {
    const ack = readAck(d.body);
    if (ack.requestId === null || !conn.settleAck(ack.requestId, ack.resultCode, ack.errorCode, ack.message, d.body)) {
      this.logger.debug({ connectionId: conn.id, type: d.type, requestId: ack.requestId }, 'ack for no pending request');
    }
  }
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function mergeHeaders(bodyHeaders: unknown, metadataHeaders: Record<string, string>): Readonly<Record<string, string>> {
  let out: Record<string, string> | null = null;
  if (bodyHeaders !== null && typeof bodyHeaders === 'object' && !Array.isArray(bodyHeaders)) {
    const b = bodyHeaders as Record<string, unknown>;
    for (const k of Object.keys(b)) {
      const v = b[k];
      if (typeof v === 'string') (out ??= {})[k] = v;
    }
  }
  for (const k of Object.keys(metadataHeaders)) (out ??= {})[k] = metadataHeaders[k]!;
  // Most requests carry no headers at all: share one frozen empty object.
  return out ?? NO_HEADERS;
}

function isTypedMessage(v: unknown): v is TypedMessage {
  if (v === null || typeof v !== 'object') return false;
  const m = v as { type?: unknown; body?: unknown };
  return typeof m.type === 'string' && (typeof m.body === 'string' || (typeof m.body === 'object' && m.body !== null));
}

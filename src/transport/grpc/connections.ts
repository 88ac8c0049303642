/**
 * SDK connections: one per TCP transport, registered once its ConnectionSetupRequest arrives.
 *
 * Like the Java server (docs/protocol/grpc.md §3.1), the id is assigned when the transport comes up, as
 * `<epochMillis>_<remoteIp>_<remotePort>`, and every call is tagged with the id of the transport it
 * arrived on (found through `call.getPeer()`, which is `remoteIp:remotePort`). The client never
 * sends the id; it learns it from ServerCheckResponse. A transport that never sends a setup stays
 * unregistered: it can ServerCheck but gets 301 for everything else.
 */
import type { Clock } from '../../core/clock.js';
import { DeadlineEntry, DeadlineQueue } from '../../core/deadline-queue.js';
import type { Logger } from '../../observability/logger.js';
import type { OutboundPayload } from '../../wire/codec.js';
import { PushError } from './push-error.js';

/** What the naming layer sees of a connection. Live view: fields change as the connection lives. */
export interface ConnectionInfo {
  /** `<epochMillis>_<remoteIp>_<remotePort>`. */
  readonly id: string;
  /** Transport address. */
  readonly remoteIp: string;
  readonly remotePort: number;
  /** `remoteIp:remotePort`. */
  readonly remoteAddress: string;
  /**
   * The client's self-reported IP (`Metadata.clientIp` of the ConnectionSetupRequest, docs/protocol/grpc.md §1.2),
   * which is the LAN address even over loopback. Falls back to `remoteIp` when empty.
   */
  readonly clientIp: string;
  /** e.g. `Nacos-Rust-Client:0.8.0`, `Nacos-Java-Client:v3.1.0`; '' if not sent. */
  readonly clientVersion: string;
  /** Setup labels, e.g. `{module: 'naming', source: 'sdk', AppName: 'unknown'}`. */
  readonly labels: Readonly<Record<string, string>>;
  /** Setup `tenant` (the namespace); null when absent (Java naming clients do not send it). */
  readonly namespace: string | null;
  /** `labels.AppName`, default `-` (as Java). */
  readonly appName: string;
  /** Whether the setup carried a non-null `abilityTable` (Java 2.2+), i.e. SetupAck was sent. */
  readonly hasAbilityTable: boolean;
  /** When the transport came up (epoch ms). */
  readonly createdAt: number;
  /** Last unary request or successful client detection (epoch ms). */
  readonly lastActive: number;
  readonly registered: boolean;
}

/**
 * Payload bytes encoded once and written to many streams (a push round: `SdkGrpcServer.prepare`,
 * docs/architecture.md "Push path"). A transport that frames messages itself keeps its framing of
 * these bytes in `framed`, so a round of 10,000 pushes frames (and allocates) once, not per stream.
 */
export class SharedPayload {
  /** The transport's framed copy (gRPC length prefix + payload), made by the first stream written. */
  framed: Buffer | null = null;
  constructor(readonly payload: Buffer) {}
}

/** The write side of a bi-stream. `write` returns false if the stream can no longer be written. */
export interface StreamSink {
  write(payload: OutboundPayload): boolean;
  /** Writes bytes shared with other streams; a sink without it gets `write(shared.payload)`. */
  writeShared?(shared: SharedPayload): boolean;
  end(): void;
}

export interface SetupInfo {
  clientIp: string;
  clientVersion: string;
  labels: Record<string, string>;
  namespace: string | null;
  appName: string;
  hasAbilityTable: boolean;
}

/** How a push ends: the client's ack body, or why there is none. Must not throw. */
export type AckCallback = (err: PushError | null, body: Record<string, unknown> | null) => void;

/** A push waiting for its ack; it is its own deadline entry (no timer or closure per push). */
class PendingAck extends DeadlineEntry {
  constructor(
    private readonly owner: Connection,
    readonly requestId: string,
    private readonly timeoutMs: number,
    readonly done: AckCallback,
  ) {
    super();
  }

  protected expired(): void {
    if (this.owner.forgetAck(this)) {
      this.done(new PushError('timeout', `no ack for request ${this.requestId} on ${this.owner.id} within ${this.timeoutMs} ms`), null);
    }
  }
}

export class Connection implements ConnectionInfo {
  clientIp: string;
  clientVersion = '';
  labels: Record<string, string> = {};
  namespace: string | null = null;
  appName = '-';
  hasAbilityTable = false;
  lastActive: number;
  registered = false;
  /** The bi-stream this connection was registered on; pushes go there. */
  stream: StreamSink | null = null;
  /** A ClientDetectionRequest is in flight. */
  detecting = false;
  /** `remoteIp:remotePort`, built once per connection rather than per request. */
  readonly remoteAddress: string;
  private readonly pending = new Map<string, PendingAck>();

  constructor(
    readonly id: string,
    readonly peer: string,
    readonly remoteIp: string,
    readonly remotePort: number,
    readonly createdAt: number,
    private readonly closeFn: () => void,
    /** The ack deadlines of every connection of the registry (one timer per timeout length). */
    private readonly deadlines: DeadlineQueue,
    private readonly ids: RequestIds = new RequestIds(),
  ) {
    this.clientIp = remoteIp;
    this.lastActive = createdAt;
    this.remoteAddress = `${remoteIp}:${remotePort}`;
  }

  /**
   * Next push requestId: a string (numbers break Rust, docs/protocol/grpc.md §1.3) from the
   * registry's sequence, so unique per connection and across connections (docs/protocol/grpc.md §3.10).
   */
  nextRequestId(): string {
    return this.ids.next();
  }

  /** Whether a push with this requestId is waiting for its ack. */
  awaitsAck(requestId: string): boolean {
    return this.pending.has(requestId);
  }

  /** Waits for the ack of `requestId` (resolves with its body); rejects with a `timeout` PushError after `timeoutMs`. */
  expectAck(requestId: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      this.awaitAck(requestId, timeoutMs, (err, body) => (err ? reject(err) : resolve(body ?? {})));
    });
  }

  /**
   * `expectAck` without a promise: `done` runs once, with the ack's body, a `nack`, a `timeout`
   * after `timeoutMs`, or the failure given to `failAck` / `rejectAllAcks`. The push hot path.
   */
  awaitAck(requestId: string, timeoutMs: number, done: AckCallback): void {
    const p = new PendingAck(this, requestId, timeoutMs, done);
    this.pending.set(requestId, p);
    this.deadlines.add(p, timeoutMs);
  }

  /** @internal A pending ack leaves the connection (its deadline passed); false if it had already. */
  forgetAck(p: PendingAck): boolean {
    if (this.pending.get(p.requestId) !== p) return false;
    this.pending.delete(p.requestId);
    return true;
  }

  /**
   * Completes a pending push with the client's ack (docs/protocol/grpc.md §3.10: matched by connection and
   * requestId; resultCode != 200 fails it). Returns false if nothing was waiting for that id.
   */
  settleAck(requestId: string, resultCode: number, errorCode: number, message: string | null, body: Record<string, unknown> = {}): boolean {
    const p = this.pending.get(requestId);
    if (!p) return false;
    this.pending.delete(requestId);
    p.cancelDeadline();
    if (resultCode === 200) p.done(null, body);
    else {
      p.done(new PushError('nack', `client answered request ${requestId} with ${resultCode}/${errorCode}: ${message ?? ''}`, resultCode, errorCode), null);
    }
    return true;
  }

  /** Fails one pending push (e.g. its write was refused). */
  failAck(requestId: string, err: PushError): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    this.pending.delete(requestId);
    p.cancelDeadline();
    p.done(err, null);
  }

  rejectAllAcks(err: PushError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.cancelDeadline();
    for (const p of all) p.done(err, null);
  }

  pendingAckCount(): number {
    return this.pending.size;
  }

  /** Closes the underlying TCP transport. */
  closeTransport(): void {
    this.closeFn();
  }
}

export type ConnectionListener = (conn: ConnectionInfo) => void;

/**
 * The requestIds of server-to-client requests: one increasing sequence for all connections of a
 * server, like the Java server's push ack id generator (docs/protocol/grpc.md §3.10). Because an id
 * is never handed out twice, one push round can send the same requestId, hence the same encoded
 * bytes, to every subscriber (docs/architecture.md, "Push path").
 */
export class RequestIds {
  private seq = 0;

  next(): string {
    return String(++this.seq);
  }
}

export class ConnectionRegistry {
  private readonly byPeer = new Map<string, Connection>();
  private readonly byId = new Map<string, Connection>();
  private readonly connectedListeners: ConnectionListener[] = [];
  private readonly disconnectedListeners: ConnectionListener[] = [];
  /** Shared by every connection of this registry (see RequestIds). */
  readonly requestIds = new RequestIds();
  /** The ack deadlines of all connections: one timer per distinct timeout, not one per push. */
  private readonly ackDeadlines: DeadlineQueue;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.ackDeadlines = new DeadlineQueue(clock);
  }

  onConnected(l: ConnectionListener): void {
    this.connectedListeners.push(l);
  }

  onDisconnected(l: ConnectionListener): void {
    this.disconnectedListeners.push(l);
  }

  /**
   * A TCP transport came up (Java `transportReady`): creates its connection and id. `peer` is the
   * key calls are matched by: exactly what grpc-js' `call.getPeer()` returns for this socket.
   */
  openTransport(peer: string, remoteIp: string, remotePort: number, close: () => void): Connection {
    const stale = this.byPeer.get(peer);
    if (stale) this.closeTransport(stale, 'address reused');
    const now = this.clock.now();
    const conn = new Connection(`${now}_${remoteIp}_${remotePort}`, peer, remoteIp, remotePort, now, close, this.ackDeadlines, this.requestIds);
    // The id and createdAt are wall time (Nacos' shape); idleness is measured on the monotonic clock.
    conn.lastActive = this.clock.monotonic();
    this.byPeer.set(peer, conn);
    this.byId.set(conn.id, conn);
    return conn;
  }

  /** The TCP transport is gone (Java `transportTerminated`): unregisters and forgets it. */
  closeTransport(conn: Connection, reason: string): void {
    this.unregister(conn, reason);
    if (this.byPeer.get(conn.peer) === conn) this.byPeer.delete(conn.peer);
    if (this.byId.get(conn.id) === conn) this.byId.delete(conn.id);
  }

  byPeerKey(peer: string): Connection | undefined {
    return this.byPeer.get(peer);
  }

  /** A registered connection by id. */
  get(id: string): Connection | undefined {
    const c = this.byId.get(id);
    return c?.registered ? c : undefined;
  }

  register(conn: Connection, stream: StreamSink, setup: SetupInfo): void {
    conn.clientIp = setup.clientIp || conn.remoteIp;
    conn.clientVersion = setup.clientVersion;
    conn.labels = setup.labels;
    conn.namespace = setup.namespace;
    conn.appName = setup.appName;
    conn.hasAbilityTable = setup.hasAbilityTable;
    conn.stream = stream;
    conn.registered = true;
    conn.lastActive = this.clock.monotonic();
    this.logger.info({ connectionId: conn.id, clientIp: conn.clientIp, clientVersion: conn.clientVersion, labels: conn.labels }, 'sdk connection registered');
    this.fire(this.connectedListeners, conn, 'onConnected');
  }

  /**
   * Unregisters once: detaches the stream (the caller ends it if needed), fails pending pushes and
   * fires onDisconnected. Returns false if the connection was not registered.
   */
  unregister(conn: Connection, reason: string): boolean {
    if (!conn.registered) return false;
    conn.registered = false;
    conn.stream = null;
    conn.detecting = false;
    conn.rejectAllAcks(new PushError('closed', `connection ${conn.id} closed: ${reason}`));
    this.logger.info({ connectionId: conn.id, reason }, 'sdk connection unregistered');
    this.fire(this.disconnectedListeners, conn, 'onDisconnected');
    return true;
  }

  registeredConnections(): Connection[] {
    return [...this.byId.values()].filter((c) => c.registered);
  }

  /** Every open transport, registered or not. */
  transports(): Connection[] {
    return [...this.byId.values()];
  }

  registeredCount(): number {
    let n = 0;
    for (const c of this.byId.values()) if (c.registered) n++;
    return n;
  }

  private fire(listeners: readonly ConnectionListener[], conn: Connection, what: string): void {
    for (const l of listeners) {
      try {
        l(conn);
      } catch (e) {
        this.logger.error({ err: e, connectionId: conn.id }, `${what} listener threw`);
      }
    }
  }
}

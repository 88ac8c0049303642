/**
 * The cluster transport: how members talk to each other, independent of what they say (Distro,
 * member reports). gRPC on main port + 1001 with the SDK's Payload codec (docs/protocol/distro.md §5.6,
 * §6.1; docs/protocol/grpc.md §1). A server answers registered request types from authenticated members only;
 * a pool of per-peer clients sends requests with deadlines and bounded outstanding requests.
 *
 *   const t = new ClusterTransport({ self, host, port: self.port + 1001, secret, isMember, logger });
 *   t.handle('DistroDataRequest', (body, from) => ({ ... }));
 *   await t.start();
 *   const reply = await t.request('10.0.0.2:8848', 'DistroDataRequest', { ... }, 3000);
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../core/clock.js';
import { parseJsonBody } from '../../wire/codec.js';
import type { Logger } from '../../observability/logger.js';
import type { MemberAddress } from '../member-address.js';
import { authHeaders, ClusterAuthenticator, DEFAULT_MAX_SKEW_MS } from './auth.js';
import { ClientPool, replyOutcome, type PeerStats } from './client-pool.js';
import { ClusterRequestError } from './errors.js';
import { PeerStream, type PeerStreamStats } from './peer-stream.js';
import { ClusterServer, type ClusterHandler } from './server.js';
import type { ClusterTlsMaterial } from './tls.js';

export interface ClusterTransportOptions {
  /** This member (ip, main port): sent as `nomen-member` on every request. */
  self: MemberAddress;
  /** Bind address of the cluster server (by default the advertised member IP, never 0.0.0.0 unless configured). */
  host: string;
  /** Main port + 1001; 0 picks a free port (see boundPort). */
  port: number;
  /** Shared secret of the cluster (key nomen.cluster.secret); required, see auth.ts clusterSecretProblem. */
  secret: string;
  /** Is `address` ('ip:mainPort') in the current member list? */
  isMember: (address: string) => boolean;
  logger: Logger;
  /** Signs and checks request timestamps; gRPC deadlines always use the wall clock. */
  clock?: Clock;
  /** Inbound message limit, both directions (default 64 MiB; key nomen.cluster.max-inbound-message-size). */
  maxInboundBytes?: number;
  /** Outstanding requests per peer before 'queue-full' (default 1024; key nomen.cluster.max-in-flight-per-peer). */
  maxQueuePerPeer?: number;
  /** Accepted clock distance of `nomen-ts` (default 30 s; key nomen.cluster.auth.max-skew-ms). */
  maxClockSkewMs?: number;
  /** mTLS material (see tls.ts readClusterTls); null/undefined = plaintext h2c. */
  tls?: ClusterTlsMaterial | null;
  /** How long stop() lets in-flight inbound calls finish (default 1000 ms). */
  shutdownGraceMs?: number;
  /** Member streams (send / streamRequest); defaults in DEFAULT_STREAM_LIMITS. */
  stream?: Partial<StreamLimits>;
}

export interface StreamLimits {
  /** Frames larger than this travel in chunks of this size (key nomen.cluster.stream.chunk-bytes). */
  chunkBytes: number;
  /** Frames waiting per peer stream before more are dropped (key nomen.cluster.stream.max-queue-frames). */
  maxQueueFrames: number;
  /** Bytes waiting per peer stream before more are dropped (key nomen.cluster.stream.max-queue-bytes). */
  maxQueueBytes: number;
  /** Large (chunked) frames waiting per peer stream. */
  maxTransfers: number;
  /** Time to complete the stream-open handshake, both sides. */
  handshakeTimeoutMs: number;
  /** Reconnect back-off after a broken stream: doubles from initial to max. */
  backoffMs: { initial: number; max: number };
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  chunkBytes: 256 * 1024,
  maxQueueFrames: 4096,
  maxQueueBytes: 16 * 1024 * 1024,
  maxTransfers: 2,
  handshakeTimeoutMs: 5000,
  backoffMs: { initial: 100, max: 1000 },
};

export interface ClusterTransportStats {
  /** Requests handed to gRPC (queue-full and post-stop rejections are not "sent"). */
  requestsSent: number;
  /** Requests that rejected, for any reason (queue-full included). */
  requestsFailed: number;
  /** Inbound calls, authenticated or not. */
  requestsReceived: number;
  /** Inbound calls refused with 403 by the member authentication. */
  refusedUnauthenticated: number;
  /** Current peers only (closePeer drops a peer's counters). */
  perPeer: Record<string, PeerStats>;
  /** Inbound member streams opened (authenticated or not) and frames received on them. */
  streamsAccepted: number;
  streamFramesReceived: number;
  /** Our outbound member streams, per peer. */
  streams: Record<string, PeerStreamStats>;
}

export { ClusterRequestError, type ClusterFailure } from './errors.js';
export type { ClusterHandler } from './server.js';

export class ClusterTransport {
  private readonly server: ClusterServer;
  private readonly clients: ClientPool;
  private readonly auth: ClusterAuthenticator;
  private readonly streams = new Map<string, PeerStream>();
  private readonly streamLimits: StreamLimits;
  private readonly clock: Clock;
  private readonly peerLostListeners: ((peer: string, detail: string) => void)[] = [];
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(private readonly opts: ClusterTransportOptions) {
    const clock = (this.clock = opts.clock ?? systemClock);
    this.streamLimits = { ...DEFAULT_STREAM_LIMITS, ...opts.stream };
    const maxInboundBytes = opts.maxInboundBytes ?? 64 * 1024 * 1024;
    const maxInFlight = opts.maxQueuePerPeer ?? 1024;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxQueuePerPeer must be a positive integer (got ${maxInFlight})`);
    this.auth = new ClusterAuthenticator({
      secret: opts.secret,
      maxSkewMs: opts.maxClockSkewMs ?? DEFAULT_MAX_SKEW_MS,
      now: () => clock.now(),
      isMember: opts.isMember,
    });
    this.server = new ClusterServer({
      host: opts.host,
      port: opts.port,
      logger: opts.logger,
      clock,
      auth: this.auth,
      maxInboundBytes,
      tls: opts.tls ?? null,
      shutdownGraceMs: opts.shutdownGraceMs ?? 1000,
      stream: { self: opts.self.address, secret: opts.secret, isMember: opts.isMember, handshakeTimeoutMs: this.streamLimits.handshakeTimeoutMs },
    });
    this.clients = new ClientPool({
      maxInFlight,
      maxInboundBytes,
      tls: opts.tls ?? null,
      clientIp: opts.self.ip,
      sign: (type, body) => authHeaders(opts.secret, opts.self.address, clock.now(), type, body),
    });
  }

  /** Serves requests whose `Metadata.type` is `type`. The reply type is `type` with Request → Response. */
  handle(type: string, handler: ClusterHandler): void {
    this.server.handle(type, handler);
  }

  /**
   * Sends a request to `peer` ('ip:mainPort'; dials ip:mainPort+1001). Resolves with the reply body
   * when its resultCode is 200; rejects with a ClusterRequestError otherwise. Programming errors
   * (malformed peer address, timeout <= 0, unencodable body) reject with a TypeError.
   */
  request(peer: string, type: string, body: object | string, timeoutMs: number): Promise<Record<string, unknown>> {
    return this.clients.request(peer, type, body, timeoutMs);
  }

  /**
   * One-way message over the member stream to `peer` (opened and authenticated on first use, see
   * peer-stream.ts): ordered, no reply, no per-message signature. False when it was dropped (the
   * stream is down or backing off, or its queue is full): only for traffic that tolerates loss.
   */
  send(peer: string, type: string, body: object | string): boolean {
    const s = this.streamTo(peer);
    return s !== null && s.send(type, typeof body === 'string' ? body : JSON.stringify(body));
  }

  /**
   * A request over the member stream (same handlers and replies as request()). Rejects
   * 'unreachable' when it was certainly not delivered, 'timeout' when its outcome is unknown.
   */
  streamRequest(peer: string, type: string, body: object | string, timeoutMs: number): Promise<Record<string, unknown>> {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return Promise.reject(new TypeError(`invalid timeout ${timeoutMs}`));
    const s = this.streamTo(peer);
    if (s === null) return Promise.reject(new ClusterRequestError('unreachable', 'cluster transport stopped'));
    return s.request(type, typeof body === 'string' ? body : JSON.stringify(body), timeoutMs);
  }

  private streamTo(peer: string): PeerStream | null {
    if (this.state === 'stopped') return null;
    let s = this.streams.get(peer);
    if (!s) {
      const log = this.opts.logger;
      s = new PeerStream({
        ...this.streamLimits,
        peer,
        self: this.opts.self.address,
        secret: this.opts.secret,
        clock: this.clock,
        dial: () => this.clients.openStream(peer),
        nonce: () => randomBytes(32).toString('hex'),
        readReply: (type, body) => {
          const parsed = parseJsonBody(body);
          return parsed.ok ? replyOutcome(type, parsed.body, peer) : new ClusterRequestError('remote-error', `undecodable reply from ${peer}: ${parsed.error}`);
        },
        onEvent: (event, detail) => {
          if (event === 'open') return log.debug({ peer }, 'member stream open');
          log.info({ peer, detail }, 'member stream broken');
          for (const l of this.peerLostListeners) l(peer, detail);
        },
      });
      this.streams.set(peer, s);
    }
    return s;
  }

  /**
   * Calls `listener` when our open member stream to a peer breaks (connection reset, ended by the
   * peer, keepalive failure — not when we close it): Raft uses it to notice a dead leader before
   * its election timeout (docs/raft.md "Leader lost").
   */
  onPeerLost(listener: (peer: string, detail: string) => void): void {
    this.peerLostListeners.push(listener);
  }

  /** Opens the member stream to `peer` ahead of use (no-op while it is open, opening or backing off). */
  warmStream(peer: string): void {
    this.streamTo(peer)?.warm();
  }

  /** A client to `peer` exists and its connection is up (Nacos ClusterRpcClientProxy#isRunning). */
  isConnected(peer: string): boolean {
    return this.clients.isConnected(peer);
  }

  /** Closes the connection to a member that left the list; its outstanding requests reject 'unreachable'. */
  closePeer(peer: string): void {
    this.streams.get(peer)?.close();
    this.streams.delete(peer);
    this.clients.closePeer(peer);
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`cannot start: cluster transport is ${this.state}`);
    await this.server.start();
    this.state = 'running';
    const tls = this.opts.tls ? 'mtls' : 'plaintext';
    this.opts.logger.info({ host: this.opts.host, port: this.server.boundPort, auth: 'hmac', tls }, 'cluster transport listening');
  }

  /** Cancels outgoing requests, closes peer connections, stops the server (in-flight inbound calls get a short grace). */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
    this.clients.stop();
    await this.server.stop();
  }

  get boundPort(): number {
    return this.server.boundPort;
  }

  stats(): ClusterTransportStats {
    return {
      requestsSent: this.clients.sent,
      requestsFailed: this.clients.failed,
      requestsReceived: this.server.received,
      refusedUnauthenticated: this.server.refused,
      perPeer: this.clients.perPeer(),
      streamsAccepted: this.server.streamsOpened,
      streamFramesReceived: this.server.streamFrames,
      streams: Object.fromEntries([...this.streams].map(([p, s]) => [p, s.snapshotStats()])),
    };
  }
}

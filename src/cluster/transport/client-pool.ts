/**
 * The client side: one HTTP/2 session per peer on node:http2 with our gRPC framing
 * (src/wire/grpc-http2.ts; docs/protocol/distro.md §5.6: one cluster RPC client per member, pinned
 * to that address, dialling main port + 1001), created lazily on the first request and closed when
 * the peer leaves the member list (closePeer) or on stop. The wire is what the grpc-js client sent
 * (same paths, headers, framing), so a member of an older build serves it (docs/raft.md "Raft transport").
 *
 * Back-pressure: at most `maxInFlight` outstanding requests per peer; one more is rejected at once
 * with 'queue-full'. Together with the per-call deadline this bounds both the time a caller waits
 * on a dead peer and the memory held for it (outstanding payloads).
 *
 * Connection: a failed connect is retried after a back-off (500 ms doubling to 1 s, what the grpc-js
 * channel options were: a restarted member must be seen within a second, docs/raft.md "Leader lost");
 * calls meanwhile fail at once with the connect error. A session that was up and closed is redialled
 * on the next use. Keepalive PINGs every 10 s, closed without an ack within 5 s.
 */
import { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { parseMemberAddress } from '../member-address.js';
import { decode, encode, ERROR_RESPONSE_TYPE, RESULT_SUCCESS, type WirePayload } from '../../wire/codec.js';
import { frameMessage, GrpcStatus, MessageReader, pingWithin, statusOf } from '../../wire/grpc-http2.js';
import { decodeInbound } from '../../wire/proto.js';
import { encodeWirePayload } from '../../wire/protobuf.js';
import { ClusterRequestError, fromGrpcError, type GrpcFailure } from './errors.js';
import type { DuplexLike } from './peer-stream.js';
import { MEMBER_STREAM_PATH, UNARY_PATH } from './server.js';
import { clientTlsOptions, type ClusterTlsMaterial } from './tls.js';

/** Cluster port = main port + 1001 (docs/protocol/distro.md §6.1). */
export const CLUSTER_PORT_OFFSET = 1001;
const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 1_000;
/**
 * Notice a silently dead peer (host crash, network cut) within ~15 s, so isConnected() is
 * meaningful; Nacos' cluster client health-checks after 5 s idle (docs/protocol/distro.md §0).
 */
const KEEPALIVE_TIME_MS = 10_000;
const KEEPALIVE_TIMEOUT_MS = 5_000;
const { NGHTTP2_CANCEL } = http2.constants;

export interface ClientPoolOptions {
  maxInFlight: number;
  maxInboundBytes: number;
  tls?: ClusterTlsMaterial | null;
  /** Auth headers for one request, over the exact body bytes (auth.ts). */
  sign: (type: string, body: Uint8Array) => Record<string, string>;
  /** `Metadata.clientIp` of our requests: this member's IP. */
  clientIp: string;
}

export interface PeerStats {
  sent: number;
  failed: number;
  inFlight: number;
}

interface PeerClient {
  readonly authority: string;
  session: http2.ClientHttp2Session | null;
  connected: boolean;
  retryAt: number;
  backoff: number;
  lastError: string;
  keepalive: NodeJS.Timeout | null;
  /** Outstanding unary calls, each with how to cancel it. */
  readonly calls: Set<() => void>;
  closed: boolean;
}

/** `ip:mainPort` → `host:clusterPort` (IPv6 bracketed); null if not an `ip:port` with a valid cluster port. */
export function clusterTargetOf(peer: string): string | null {
  const m = parseMemberAddress(peer, 0);
  if (!m || m.port + CLUSTER_PORT_OFFSET > 65535) return null;
  const host = m.ip.includes(':') ? `[${m.ip}]` : m.ip;
  return `${host}:${m.port + CLUSTER_PORT_OFFSET}`;
}

/** The request headers a grpc-js client sends (content-type, te, encodings). */
function requestHeaders(path: string, timeoutMs?: number): http2.OutgoingHttpHeaders {
  const h: http2.OutgoingHttpHeaders = {
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-accept-encoding': 'identity',
    'user-agent': 'nomen-cluster',
  };
  if (timeoutMs !== undefined) h['grpc-timeout'] = `${Math.max(1, Math.ceil(timeoutMs))}m`;
  return h;
}

/**
 * One client call on one HTTP/2 stream: messages out of the DATA, the status out of the trailers
 * (or a trailers-only response); `onDone` once, when the stream closed. A stream closed without a
 * status is UNAVAILABLE with the stream's or session's error (e.g. `connect ECONNREFUSED`).
 */
function watchCall(stream: http2.ClientHttp2Stream, maxInbound: number, onMessage: (m: Buffer) => void, onDone: (f: GrpcFailure) => void): (f: GrpcFailure) => void {
  let status: GrpcFailure | null = null;
  let error = '';
  let over = false;
  const reader = new MessageReader(maxInbound, undefined);
  const done = (f: GrpcFailure): void => {
    if (over) return;
    over = true;
    onDone(f);
  };
  /** Ends the call locally with `f` (deadline, cancel, a bad message). */
  const abort = (f: GrpcFailure): void => {
    status ??= f;
    if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
    done(f);
  };
  reader.onMessage = onMessage;
  reader.onError = (code, details) => abort({ code, details });
  stream.on('response', (h) => {
    const httpStatus = h[':status'];
    if (httpStatus !== 200) status = { code: httpStatus === 404 ? GrpcStatus.UNIMPLEMENTED : GrpcStatus.UNKNOWN, details: `HTTP status ${String(httpStatus)}` };
    else status = statusOf(h);
  });
  stream.on('data', (chunk: Buffer) => {
    if (!over) reader.push(chunk);
  });
  stream.on('trailers', (h) => {
    status ??= statusOf(h) ?? { code: GrpcStatus.UNKNOWN, details: 'trailers without grpc-status' };
  });
  stream.on('error', (e: Error) => {
    error ||= e.message;
  });
  stream.on('close', () => {
    if (status === null && !error && stream.rstCode === NGHTTP2_CANCEL) status = { code: GrpcStatus.CANCELLED, details: 'stream cancelled by the peer' };
    done(status ?? { code: GrpcStatus.UNAVAILABLE, details: error || `stream closed without a status (RST_STREAM ${stream.rstCode ?? '?'})` });
  });
  return abort;
}

/** A member stream on an HTTP/2 stream, as PeerStream drives it (the events of a grpc-js duplex call). */
class MemberDuplex extends EventEmitter implements DuplexLike {
  private readonly abort: (f: GrpcFailure) => void;

  constructor(
    private readonly stream: http2.ClientHttp2Stream,
    maxInbound: number,
  ) {
    super();
    this.abort = watchCall(
      stream,
      maxInbound,
      (m) => this.emit('data', m),
      (f) => {
        if (f.code === GrpcStatus.OK) this.emit('end');
        else this.emit('error', Object.assign(new Error(`${f.code} ${f.details}`), f));
        this.emit('close');
      },
    );
    stream.on('drain', () => this.emit('drain'));
  }

  write(frame: Buffer): boolean {
    return this.stream.write(frameMessage(frame));
  }

  end(): void {
    this.stream.end();
  }

  cancel(): void {
    this.abort({ code: GrpcStatus.CANCELLED, details: 'Cancelled on client' });
  }
}

export class ClientPool {
  private readonly peers = new Map<string, PeerClient>();
  private readonly counters = new Map<string, { sent: number; failed: number }>();
  private stopped = false;
  sent = 0;
  failed = 0;

  constructor(private readonly o: ClientPoolOptions) {}

  request(peer: string, type: string, body: object | string, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.stopped) return this.fail(peer, new ClusterRequestError('unreachable', 'cluster transport stopped'));
    // Programming errors (not transport failures) reject with a TypeError.
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return Promise.reject(new TypeError(`invalid timeout ${timeoutMs}`));
    const target = clusterTargetOf(peer);
    if (target === null) return Promise.reject(new TypeError(`invalid peer address '${peer}' (expected ip:mainPort)`));
    const pc = this.peerClient(peer, target);
    if (pc.calls.size >= this.o.maxInFlight) {
      return this.fail(peer, new ClusterRequestError('queue-full', `${pc.calls.size} requests to ${peer} already outstanding`));
    }
    let payload: WirePayload;
    try {
      payload = encode(type, body, { clientIp: this.o.clientIp });
      payload.metadata.headers = this.o.sign(type, payload.body.value);
    } catch (e) {
      return Promise.reject(new TypeError(`cannot encode ${type}: ${e instanceof Error ? e.message : String(e)}`));
    }
    this.sent++;
    this.countersOf(peer).sent++;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.streamOn(pc, UNARY_PATH, timeoutMs);
    } catch (e) {
      return this.fail(peer, fromGrpcError({ code: GrpcStatus.UNAVAILABLE, details: e instanceof Error ? e.message : String(e) }, false, pc.closed, peer));
    }
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const messages: Buffer[] = [];
      const abort = watchCall(
        stream,
        this.o.maxInboundBytes,
        (m) => messages.push(m),
        (f) => {
          clearTimeout(deadline);
          pc.calls.delete(cancel);
          let outcome: Record<string, unknown> | ClusterRequestError;
          if (f.code !== GrpcStatus.OK) outcome = fromGrpcError(f, pc.connected && !pc.closed, pc.closed, peer);
          else if (messages.length !== 1) outcome = new ClusterRequestError('remote-error', `${peer} answered ${messages.length} messages to a unary call`);
          else outcome = readReply(messages[0]!, peer);
          if (outcome instanceof ClusterRequestError) this.fail(peer, outcome).catch(reject);
          else resolve(outcome);
        },
      );
      const cancel = (): void => abort({ code: GrpcStatus.CANCELLED, details: 'Cancelled on client' });
      const deadline = setTimeout(() => abort({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }), timeoutMs);
      pc.calls.add(cancel);
      stream.end(frameMessage(encodeWirePayload(payload)));
    });
  }

  /** Opens a member stream (stream-frame.ts) to `peer` on the same connection as its requests; throws while the peer is unreachable. */
  openStream(peer: string): DuplexLike {
    if (this.stopped) throw new Error('cluster transport stopped');
    const target = clusterTargetOf(peer);
    if (target === null) throw new TypeError(`invalid peer address '${peer}' (expected ip:mainPort)`);
    return new MemberDuplex(this.streamOn(this.peerClient(peer, target)), this.o.maxInboundBytes);
  }

  isConnected(peer: string): boolean {
    const pc = this.peers.get(peer);
    if (!pc || pc.closed) return false;
    // Like grpc-js' getConnectivityState(true): an idle peer starts connecting, so a later check can succeed.
    if (!pc.connected) this.sessionOf(pc);
    return pc.connected;
  }

  /** Cancels the peer's outstanding requests (they reject 'unreachable') and closes its connection. */
  closePeer(peer: string): void {
    const pc = this.peers.get(peer);
    this.counters.delete(peer);
    if (!pc) return;
    this.peers.delete(peer);
    pc.closed = true;
    for (const cancel of [...pc.calls]) cancel();
    if (pc.keepalive) clearInterval(pc.keepalive);
    pc.session?.destroy();
    pc.session = null;
  }

  stop(): void {
    this.stopped = true;
    for (const peer of [...this.peers.keys()]) this.closePeer(peer);
  }

  perPeer(): Record<string, PeerStats> {
    const out: Record<string, PeerStats> = {};
    for (const [peer, c] of this.counters) out[peer] = { sent: c.sent, failed: c.failed, inFlight: this.peers.get(peer)?.calls.size ?? 0 };
    return out;
  }

  private peerClient(peer: string, target: string): PeerClient {
    let pc = this.peers.get(peer);
    if (!pc) {
      pc = {
        authority: `${this.o.tls ? 'https' : 'http'}://${target}`,
        session: null,
        connected: false,
        retryAt: 0,
        backoff: BACKOFF_INITIAL_MS,
        lastError: '',
        keepalive: null,
        calls: new Set(),
        closed: false,
      };
      this.peers.set(peer, pc);
    }
    return pc;
  }

  /** A new stream to the peer; throws (with the last connect error) while it backs off. */
  private streamOn(pc: PeerClient, path = MEMBER_STREAM_PATH, timeoutMs?: number): http2.ClientHttp2Stream {
    const s = this.sessionOf(pc);
    if (!s) throw new Error(`no connection (retrying after back-off): ${pc.lastError}`);
    return s.request(requestHeaders(path, timeoutMs));
  }

  /** The peer's session, dialled when there is none; null while a failed connect backs off. */
  private sessionOf(pc: PeerClient): http2.ClientHttp2Session | null {
    const cur = pc.session;
    if (cur && !cur.closed && !cur.destroyed) return cur;
    if (pc.closed || performance.now() < pc.retryAt) return null;
    // grpc-js lifts node's 10 MB per-session memory cap too: a burst of frames must not reset the session.
    const options: http2.SecureClientSessionOptions = { maxSessionMemory: Number.MAX_SAFE_INTEGER, ...(this.o.tls ? clientTlsOptions(this.o.tls) : {}) };
    const s = http2.connect(pc.authority, { ...options, createConnection: () => this.dial(pc.authority) });
    pc.session = s;
    pc.connected = false;
    s.on('connect', () => {
      if (pc.session !== s) return;
      pc.connected = true;
      pc.backoff = BACKOFF_INITIAL_MS;
      pc.keepalive = setInterval(() => ping(s), KEEPALIVE_TIME_MS);
      pc.keepalive.unref();
    });
    s.on('error', (e: Error) => {
      if (pc.session === s) pc.lastError = e.message;
    });
    // The peer shuts down gracefully: its open streams finish, new ones go to a new session.
    s.on('goaway', () => this.detach(pc, s));
    s.once('close', () => this.detach(pc, s));
    return s;
  }

  /** The TCP (and TLS) connection of a session, without Nagle's delay on small frames (grpc-js sets it too). */
  private dial(authority: string): net.Socket {
    const u = new URL(authority);
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    const raw = net.connect({ host, port: Number(u.port) });
    raw.setNoDelay(true);
    if (!this.o.tls) return raw;
    // The peer's certificate is checked against the IP we dial (tls.ts); no SNI for an IP.
    return tls.connect({ socket: raw, host, ...clientTlsOptions(this.o.tls), ALPNProtocols: ['h2'], ...(net.isIP(host) ? {} : { servername: host }) });
  }

  private detach(pc: PeerClient, s: http2.ClientHttp2Session): void {
    if (pc.session !== s) return;
    pc.session = null;
    if (pc.keepalive) clearInterval(pc.keepalive);
    pc.keepalive = null;
    if (pc.connected) {
      // A connection that was up is redialled on the next use, as grpc-js does.
      pc.connected = false;
      pc.retryAt = 0;
      return;
    }
    pc.retryAt = performance.now() + pc.backoff;
    pc.backoff = Math.min(BACKOFF_MAX_MS, pc.backoff * 2);
  }

  private countersOf(peer: string): { sent: number; failed: number } {
    let c = this.counters.get(peer);
    if (!c) {
      c = { sent: 0, failed: 0 };
      this.counters.set(peer, c);
    }
    return c;
  }

  private fail(peer: string, e: ClusterRequestError): Promise<never> {
    this.failed++;
    // A peer closed meanwhile keeps no counters (closePeer dropped them).
    if (this.peers.has(peer)) this.countersOf(peer).failed++;
    return Promise.reject(e);
  }
}

/** Success body, or the failure as a ClusterRequestError. */
function readReply(bytes: Buffer, peer: string): Record<string, unknown> | ClusterRequestError {
  const d = decode(decodeInbound(bytes));
  if (!d.ok) return new ClusterRequestError('remote-error', `undecodable reply from ${peer}: ${d.error}`);
  return replyOutcome(d.type, d.body, peer);
}

/** A decoded reply (unary or member stream): the body when it is a success, else the failure. */
export function replyOutcome(type: string, body: Record<string, unknown>, peer: string): Record<string, unknown> | ClusterRequestError {
  const resultCode = body['resultCode'];
  if (type !== ERROR_RESPONSE_TYPE && resultCode === RESULT_SUCCESS) return body;
  const errorCode = body['errorCode'];
  const code = typeof errorCode === 'number' && errorCode !== 0 ? errorCode : typeof resultCode === 'number' ? resultCode : undefined;
  const message = typeof body['message'] === 'string' ? body['message'] : '';
  // 403 ErrorResponse is what the cluster server answers a request it could not authenticate (server.ts).
  const reason = type === ERROR_RESPONSE_TYPE && code === 403 ? 'rejected' : 'remote-error';
  return new ClusterRequestError(reason, `${peer} answered ${type} ${code ?? '?'}: ${message}`, code, body);
}

function ping(s: http2.ClientHttp2Session): void {
  pingWithin(s, KEEPALIVE_TIMEOUT_MS, () => s.destroy(new Error('keepalive ping not acknowledged')));
}

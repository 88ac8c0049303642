/**
 * The client side: one grpc-js client per peer (docs/protocol/distro.md §5.6: one cluster RPC client per
 * member, pinned to that address, dialling main port + 1001), created lazily on the first request
 * and closed when the peer leaves the member list (closePeer) or on stop.
 *
 * Back-pressure: at most `maxInFlight` outstanding requests per peer; one more is rejected at once
 * with 'queue-full'. Together with the per-call deadline this bounds both the time a caller waits
 * on a dead peer and the memory held for it (outstanding payloads).
 */
import * as grpc from '@grpc/grpc-js';
import { parseMemberAddress } from '../member-address.js';
import { decode, encode, ERROR_RESPONSE_TYPE, RESULT_SUCCESS, type WirePayload } from '../../wire/codec.js';
import { nacosMethodDefinitions } from '../../wire/proto.js';
import { ClusterRequestError, fromGrpcError } from './errors.js';
import { MEMBER_STREAM_PATH } from './server.js';
import { channelCredentials, type ClusterTlsMaterial } from './tls.js';

/** Cluster port = main port + 1001 (docs/protocol/distro.md §6.1). */
export const CLUSTER_PORT_OFFSET = 1001;
const UNARY_PATH = '/Request/request';
const raw = (b: Buffer): Buffer => b;

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
  readonly client: grpc.Client;
  readonly calls: Set<grpc.ClientUnaryCall>;
  closed: boolean;
}

/** `ip:mainPort` → `host:clusterPort` (IPv6 bracketed); null if not an `ip:port` with a valid cluster port. */
export function clusterTargetOf(peer: string): string | null {
  const m = parseMemberAddress(peer, 0);
  if (!m || m.port + CLUSTER_PORT_OFFSET > 65535) return null;
  const host = m.ip.includes(':') ? `[${m.ip}]` : m.ip;
  return `${host}:${m.port + CLUSTER_PORT_OFFSET}`;
}

export class ClientPool {
  private readonly peers = new Map<string, PeerClient>();
  private readonly counters = new Map<string, { sent: number; failed: number }>();
  private readonly method = nacosMethodDefinitions().request;
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
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const call = pc.client.makeUnaryRequest<WirePayload, object>(
        UNARY_PATH,
        (v) => this.method.requestSerialize(v),
        (b) => this.method.responseDeserialize(b),
        payload,
        { deadline: Date.now() + timeoutMs },
        (err, value) => {
          pc.calls.delete(call);
          if (err) {
            const ready = !pc.closed && pc.client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY;
            this.fail(peer, fromGrpcError(err, ready, pc.closed, peer)).catch(reject);
            return;
          }
          const r = readReply(value, peer);
          if (r instanceof ClusterRequestError) this.fail(peer, r).catch(reject);
          else resolve(r);
        },
      );
      pc.calls.add(call);
    });
  }

  /** Opens a member stream (stream-frame.ts) to `peer` on the same connection as its requests. */
  openStream(peer: string): grpc.ClientDuplexStream<Buffer, Buffer> {
    if (this.stopped) throw new Error('cluster transport stopped');
    const target = clusterTargetOf(peer);
    if (target === null) throw new TypeError(`invalid peer address '${peer}' (expected ip:mainPort)`);
    return this.peerClient(peer, target).client.makeBidiStreamRequest(MEMBER_STREAM_PATH, raw, raw, new grpc.Metadata(), {});
  }

  isConnected(peer: string): boolean {
    const pc = this.peers.get(peer);
    // `true`: an idle channel (grpc idle timeout) starts reconnecting, so a later check can succeed.
    return !!pc && !pc.closed && pc.client.getChannel().getConnectivityState(true) === grpc.connectivityState.READY;
  }

  /** Cancels the peer's outstanding requests (they reject 'unreachable') and closes its connection. */
  closePeer(peer: string): void {
    const pc = this.peers.get(peer);
    this.counters.delete(peer);
    if (!pc) return;
    this.peers.delete(peer);
    pc.closed = true;
    for (const c of [...pc.calls]) c.cancel();
    pc.client.close();
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
      const client = new grpc.Client(target, channelCredentials(this.o.tls), {
        // Our own TCP connection per peer, never shared with another client in the process (the
        // SDK-side probe clients, another transport in tests).
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': this.o.maxInboundBytes,
        // Cluster traffic goes direct, whatever http(s)_proxy says.
        'grpc.enable_http_proxy': 0,
        // Notice a silently dead peer (host crash, network cut) within ~15 s, so isConnected() is
        // meaningful; Nacos' cluster client health-checks after 5 s idle (docs/protocol/distro.md §0).
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
        // grpc-js backs off up to 120 s by default; a restarted member should be seen within a
        // second: while the channel waits out its back-off every frame to the peer is dropped, so a
        // member restarted a few seconds before the leader died could not vote until the channel
        // retried (5 s max before: a 1.4 s failover measured, docs/raft.md "Leader lost").
        'grpc.initial_reconnect_backoff_ms': 500,
        'grpc.max_reconnect_backoff_ms': 1_000,
      });
      pc = { client, calls: new Set(), closed: false };
      this.peers.set(peer, pc);
    }
    return pc;
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
function readReply(raw: unknown, peer: string): Record<string, unknown> | ClusterRequestError {
  const d = decode(raw);
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

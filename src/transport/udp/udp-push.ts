/**
 * UDP push to v1 HTTP subscribers (docs/protocol/http.md §5.7, §7.3).
 *
 * Packet: `{"type":"dom","data":"<ServiceInfo JSON as a string>","lastRefTime":<n>}` — `data` is
 * double-encoded (the Node SDK requires a string), gzip-compressed when the packet is ≥ 1024 bytes.
 * The subscriber answers `{"type":"push-ack","lastRefTime":<n>,"data":""}` from the port it was
 * pushed to; an ack is matched on (source ip, source port, lastRefTime). No ack within
 * `ackTimeoutMs` → one resend; no ack after the second timeout → the push rejects (the push engine
 * retries with fresh data). `lastRefTime` is epoch ms from ServiceInfoView, below 2^53, so it
 * survives the SDK's JS-double round trip (Nacos' nanoTime does not; docs/protocol/http.md §5.7).
 */
import { createSocket, type Socket } from 'node:dgram';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { PushSink } from '../../naming/push-engine.js';
import type { RenderedServiceInfo } from '../../naming/service-info-view.js';
import type { Subscriber } from '../../naming/subscriptions.js';
import type { Logger } from '../../observability/logger.js';

/** Packets of at least this many bytes are gzipped (Nacos' threshold). */
export const GZIP_THRESHOLD = 1024;

export interface UdpPushOptions {
  log: Logger;
  clock: Clock;
  /** Wait for an ack before the single resend, and again before giving up. */
  ackTimeoutMs: number;
  /** Address to bind the push socket to (default: all interfaces). */
  bindHost?: string;
}

export interface UdpPushStats {
  /** Datagrams sent, resends included. */
  sent: number;
  resent: number;
  acked: number;
  failed: number;
  /** Datagrams received that were not a matching ack (garbage, late or unknown acks). */
  ignored: number;
}

interface Pending {
  packet: Buffer;
  ip: string;
  port: number;
  attempts: number;
  timer: TimerHandle | null;
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class UdpPushService implements PushSink {
  readonly stats: UdpPushStats = { sent: 0, resent: 0, acked: 0, failed: 0, ignored: 0 };
  private socket: Socket | null = null;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly opts: UdpPushOptions) {}

  /** Binds a udp4 socket on an ephemeral port. */
  async start(): Promise<void> {
    if (this.socket) return;
    const socket = createSocket('udp4');
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    socket.on('error', (err) => this.opts.log.warn({ err }, 'udp push socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.opts.bindHost, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    this.opts.log.debug({ port: this.port() }, 'udp push socket bound');
  }

  /** The bound local port (0 before start). */
  port(): number {
    return this.socket?.address().port ?? 0;
  }

  /** Closes the socket; pending pushes reject. */
  stop(): void {
    for (const [key, p] of this.pending) {
      p.timer?.cancel();
      this.pending.delete(key);
      p.reject(new Error('udp push service stopped'));
    }
    const s = this.socket;
    this.socket = null;
    if (s) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }

  push(sub: Subscriber, info: RenderedServiceInfo): Promise<void> {
    const target = sub.target;
    if (target.kind !== 'udp') return Promise.reject(new Error(`not a udp subscriber: ${sub.id}`));
    if (!this.socket) return Promise.reject(new Error('udp push service is not started'));
    const key = ackKey(target.ip, target.port, info.lastRefTime);
    // The same rendering pushed twice to the same address before its ack: share one wait.
    const existing = this.pending.get(key);
    if (existing) return existing.promise;

    const text = JSON.stringify({ type: 'dom', data: info.json, lastRefTime: info.lastRefTime });
    const raw = Buffer.from(text, 'utf8');
    const packet = raw.length >= GZIP_THRESHOLD ? gzipSync(raw) : raw;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const p: Pending = { packet, ip: target.ip, port: target.port, attempts: 0, timer: null, promise, resolve, reject };
    this.pending.set(key, p);
    this.send(key, p);
    return promise;
  }

  private send(key: string, p: Pending): void {
    const socket = this.socket;
    if (!socket) return this.fail(key, p, new Error('udp push service stopped'));
    p.attempts++;
    this.stats.sent++;
    if (p.attempts > 1) this.stats.resent++;
    try {
      socket.send(p.packet, p.port, p.ip, (err) => {
        if (err) this.fail(key, p, err);
      });
    } catch (e) {
      // e.g. ERR_SOCKET_BAD_PORT, thrown synchronously.
      return this.fail(key, p, e instanceof Error ? e : new Error(String(e)));
    }
    p.timer = this.opts.clock.setTimeout(() => {
      p.timer = null;
      if (this.pending.get(key) !== p) return;
      if (p.attempts < 2) this.send(key, p);
      else this.fail(key, p, new Error(`no push-ack from ${p.ip}:${p.port} after ${p.attempts} sends`));
    }, this.opts.ackTimeoutMs);
  }

  private fail(key: string, p: Pending, err: Error): void {
    if (this.pending.get(key) !== p) return;
    this.pending.delete(key);
    p.timer?.cancel();
    this.stats.failed++;
    p.reject(err);
  }

  /** Acks only; anything else (garbage, unknown types, acks nobody waits for) is counted and dropped. */
  private onMessage(msg: Buffer, ip: string, port: number): void {
    try {
      const text = (msg.length >= 2 && msg[0] === 0x1f && msg[1] === 0x8b ? gunzipSync(msg) : msg).toString('utf8');
      const json: unknown = JSON.parse(text);
      if (typeof json !== 'object' || json === null) throw new Error('not an object');
      const { type, lastRefTime } = json as { type?: unknown; lastRefTime?: unknown };
      if (type !== 'push-ack' || typeof lastRefTime !== 'number') throw new Error('not a push-ack');
      const key = ackKey(ip, port, lastRefTime);
      const p = this.pending.get(key);
      if (!p) throw new Error('no push waiting for this ack');
      this.pending.delete(key);
      p.timer?.cancel();
      this.stats.acked++;
      p.resolve();
    } catch (e) {
      this.stats.ignored++;
      this.opts.log.debug({ from: `${ip}:${port}`, reason: e instanceof Error ? e.message : String(e) }, 'udp datagram ignored');
    }
  }
}

function ackKey(ip: string, port: number, lastRefTime: number): string {
  return `${ip}:${port}:${lastRefTime}`;
}

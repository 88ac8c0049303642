/**
 * A small fault-injecting TCP proxy for one directed peer link (member i → member j, one port).
 * Member i's packets for j's port are DNATed to it (test/chaos/net.ts); it connects to j from the
 * address `proxyEgressIp(i)`, so iptables rules inside j's namespace still know who is talking.
 *
 * Faults (per link, any combination; see docs/reliability.md):
 * - delay + jitter: every chunk is held `delay ± jitter` ms; chunks of one direction keep their
 *   order (a TCP stream cannot reorder), so jitter shows as bursts.
 * - stall: nothing is forwarded (both directions) until the stall ends; the sockets stay open.
 * - reset: every open connection of the link is reset (RST) at once.
 * - half-open: bytes from i to j are held (not delivered) while the connection looks healthy to
 *   both sides and j → i flows; when it ends they are delivered in order, as TCP's retransmissions
 *   deliver them once a one-way black hole clears. Until 2026-12-07 they were dropped, which no
 *   real network does inside a TCP connection: the gap desynchronised HTTP/2 flow control (the
 *   sender's window never came back, while PING frames still passed, so keepalive saw a healthy
 *   connection) and froze that connection for good (docs/reliability.md, finding 4).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface LinkFaults {
  delayMs: number;
  jitterMs: number;
  stalled: boolean;
  halfOpen: boolean;
}

export const NO_FAULTS: LinkFaults = { delayMs: 0, jitterMs: 0, stalled: false, halfOpen: false };

/** Forwards chunks from `src` to `dst` after the link's delay, in order; holds them while stalled. */
class Pipe {
  private queue: { at: number; data: Buffer }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastAt = 0;

  constructor(
    private readonly dst: Socket,
    private readonly faults: () => LinkFaults,
    /** This direction is held (half-open), as during a stall but one way only. */
    private readonly held: () => boolean,
    private readonly random: () => number,
  ) {}

  push(data: Buffer): void {
    const f = this.faults();
    const jitter = f.jitterMs > 0 ? (this.random() * 2 - 1) * f.jitterMs : 0;
    const at = Math.max(Date.now() + Math.max(0, f.delayMs + jitter), this.lastAt);
    this.lastAt = at;
    this.queue.push({ at, data });
    this.pump();
  }

  pump(): void {
    if (this.timer) return;
    while (this.queue.length > 0) {
      if (this.faults().stalled || this.held()) return; // the link calls pump() again when the fault ends
      const head = this.queue[0]!;
      const wait = head.at - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      if (!this.dst.destroyed) this.dst.write(head.data);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
  }
}

export class LinkProxy {
  faults: LinkFaults = { ...NO_FAULTS };
  private server: Server | null = null;
  private readonly conns = new Set<{ a: Socket; b: Socket; pipes: Pipe[] }>();
  resets = 0;
  accepted = 0;

  constructor(
    readonly listenHost: string,
    readonly listenPort: number,
    readonly targetHost: string,
    readonly targetPort: number,
    readonly egressHost: string,
    private readonly random: () => number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((a) => this.accept(a));
    this.server = server;
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen({ host: this.listenHost, port: this.listenPort, exclusive: true }, () => res());
    });
  }

  private accept(a: Socket): void {
    this.accepted++;
    const b = createConnection({ host: this.targetHost, port: this.targetPort, localAddress: this.egressHost });
    const f = () => this.faults;
    const toB = new Pipe(b, f, () => this.faults.halfOpen, this.random);
    const toA = new Pipe(a, f, () => false, this.random);
    const c = { a, b, pipes: [toB, toA] };
    this.conns.add(c);
    a.setNoDelay(true);
    b.setNoDelay(true);
    a.on('data', (d: Buffer) => toB.push(d));
    b.on('data', (d: Buffer) => toA.push(d));
    const close = () => {
      if (!this.conns.delete(c)) return;
      toA.stop();
      toB.stop();
      a.destroy();
      b.destroy();
    };
    for (const s of [a, b]) {
      s.on('error', close);
      s.on('close', close);
    }
  }

  /** Applies new faults; ending a stall or a half-open link releases what was held. */
  set(faults: LinkFaults): void {
    this.faults = { ...faults };
    for (const c of this.conns) for (const p of c.pipes) p.pump();
  }

  /** Resets every open connection of the link (RST to both sides). */
  resetAll(): void {
    for (const c of [...this.conns]) {
      this.resets++;
      for (const s of [c.a, c.b]) {
        if (!s.destroyed) s.resetAndDestroy();
      }
    }
  }

  async close(): Promise<void> {
    this.resetAll();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

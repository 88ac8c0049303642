/**
 * The chaos workload's gRPC half (docs/reliability.md "Workload"): real Nacos Rust SDK clients
 * (`nacos-sdk-rust-binding-node`, gRPC 2.x on port 9848, each in its own child process because its
 * constructor blocks the event loop), given every member's address as their server list, as an
 * application would be.
 *
 * Client `c` owns service `chaos-g-<c>` and keeps at most one instance of its own there (a Nacos 2
 * gRPC connection holds one instance per service; a second register replaces the first): it
 * registers it on one of three ports, moves it to another port, or deregisters it, every 1–3 s.
 * Every client subscribes to every `chaos-g-*` service. The SDK reconnects to another member when
 * its member dies or is cut off and re-sends its registrations and subscriptions (its "redo").
 *
 * After the faults heal, each client re-issues its last intent until it is acknowledged (an
 * intent whose call failed during a fault is then settled), and the check is: every member lists,
 * for each `chaos-g-<c>`, exactly client c's intent, and every subscriber's last push for that
 * service equals it. The final intent is always "registered", since the SDK (0.8.0) drops an empty
 * push by default and an empty service could not be compared.
 */
import { RustClient } from '../integration/helpers/rust-client.js';
import type { Rng } from '../sim/prng.js';

export const GRPC_SERVICES = (clients: number): string[] => Array.from({ length: clients }, (_, c) => `chaos-g-${c}`);
const PORTS = [8001, 8002, 8003];
const CALL_TIMEOUT_MS = 12_000;

const ipOf = (c: number): string => `127.0.3.${c + 1}`;

interface ClientState {
  rust: RustClient;
  service: string;
  /** Port of the instance this client wants registered, or null for none. */
  intent: number | null;
  acked: number;
  failed: number;
}

export class GrpcWorkload {
  private readonly clients: ClientState[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  /** Why gRPC calls got no success answer, by message (numbers folded). */
  readonly failures = new Map<string, number>();

  constructor(
    private readonly rng: Rng,
    /** Members' HTTP addresses `host:port` (the SDK uses port + 1000 for gRPC). */
    private readonly memberAddrs: readonly string[],
    private readonly count: number,
  ) {}

  get services(): string[] {
    return GRPC_SERVICES(this.count);
  }

  get acked(): number {
    return this.clients.reduce((a, c) => a + c.acked, 0);
  }

  /** Starts the SDK children, registers each client's first instance and subscribes everyone. */
  async setup(): Promise<void> {
    const serverAddr = this.memberAddrs.join(',');
    for (let c = 0; c < this.count; c++) {
      const rust = await RustClient.start(serverAddr, { label: `chaos-g${c}`, startTimeoutMs: 60_000, connectAttempts: 10 });
      const service = `chaos-g-${c}`;
      this.clients.push({ rust, service, intent: PORTS[0]!, acked: 0, failed: 0 });
      await rust.register(service, this.instance(c, PORTS[0]!));
    }
    for (const [c, s] of this.clients.entries()) for (const svc of this.services) await s.rust.subscribe(svc, `c${c}:${svc}`);
  }

  private instance(c: number, port: number): { ip: string; port: number; ephemeral: boolean } {
    return { ip: ipOf(c), port, ephemeral: true };
  }

  start(): void {
    this.running = true;
    this.loops = this.clients.map((_, c) => this.loop(c, this.rng.fork()));
  }

  private async loop(c: number, rng: Rng): Promise<void> {
    const s = this.clients[c]!;
    while (this.running) {
      await new Promise((r) => setTimeout(r, rng.int(1000, 3000)));
      if (!this.running) break;
      const roll = rng.next();
      const old = s.intent;
      // The intent changes at invoke, as for the HTTP workers: the SDK keeps (or drops) it in its
      // redo data whatever the answer, and the settle round after healing re-issues it.
      if (old !== null && roll < 0.3) s.intent = null;
      else s.intent = rng.pick(PORTS.filter((p) => p !== old));
      await this.apply(s, c, old);
    }
  }

  /** Sends the client's current intent: a register (replaces the old instance) or a deregister. */
  private async apply(s: ClientState, c: number, old: number | null): Promise<boolean> {
    try {
      if (s.intent === null) {
        if (old !== null) await s.rust.call('deregister', { service: s.service, group: 'DEFAULT_GROUP', instance: this.instance(c, old) }, CALL_TIMEOUT_MS);
      } else {
        await s.rust.call('register', { service: s.service, group: 'DEFAULT_GROUP', instance: this.instance(c, s.intent) }, CALL_TIMEOUT_MS);
      }
      s.acked++;
      return true;
    } catch (e) {
      s.failed++;
      const why = (e instanceof Error ? e.message : String(e)).replace(/\d+/g, 'N').slice(0, 120);
      this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
      return false;
    }
  }

  /**
   * Stops the random operations, then brings every client to a registered intent and re-sends it
   * until one call is acknowledged (bounded): the state the final check expects.
   */
  async settle(timeoutMs: number): Promise<string[]> {
    this.running = false;
    await Promise.allSettled(this.loops);
    const problems: string[] = [];
    await Promise.all(
      this.clients.map(async (s, c) => {
        const old = s.intent;
        if (s.intent === null) s.intent = PORTS[0]!;
        const deadline = Date.now() + timeoutMs;
        let ok = false;
        while (!ok && Date.now() < deadline) {
          ok = await this.apply(s, c, old);
          if (!ok) await new Promise((r) => setTimeout(r, 1000));
        }
        if (!ok) problems.push(`gRPC client ${c}: its final register was not acknowledged within ${timeoutMs} ms`);
      }),
    );
    return problems;
  }

  /** `service` → the `ip:port` the owning client wants registered (after `settle`: exactly one). */
  expected(): Map<string, Set<string>> {
    const m = new Map<string, Set<string>>();
    for (const [c, s] of this.clients.entries()) m.set(s.service, new Set(s.intent === null ? [] : [`${ipOf(c)}:${s.intent}`]));
    return m;
  }

  /**
   * Subscribers whose last push of a service differs from `expected` (empty: all agree). A client
   * with no push at all for a service counts as a difference.
   */
  pushDiffs(): string[] {
    const exp = this.expected();
    const out: string[] = [];
    for (const [c, s] of this.clients.entries()) {
      for (const [svc, want] of exp) {
        const last = [...s.rust.events].reverse().find((e) => e.subId === `c${c}:${svc}` && e.error === null);
        const got = last ? last.hosts.map((h) => `${h.ip}:${h.port}`).sort() : null;
        const wantList = [...want].sort();
        if (got === null || got.join() !== wantList.join()) out.push(`subscriber c${c} ${svc}: last push [${got?.join(' ') ?? 'none'}], expected [${wantList.join(' ')}]`);
      }
    }
    return out;
  }

  /** Pushes received so far, all clients together. */
  get pushes(): number {
    return this.clients.reduce((a, s) => a + s.rust.events.length, 0);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.loops);
    await Promise.allSettled(this.clients.map((s) => s.rust.kill()));
  }
}

import { ManualClock } from '../../src/core/clock.js';
import type { Instance } from '../../src/core/instance.js';
import { Registry } from '../../src/core/registry.js';
import type { DistroConfig } from '../../src/distro/config.js';
import type { DistroProtocol } from '../../src/distro/distro-protocol.js';
import { HybridLogicalClock } from '../../src/distro/hlc.js';
import type { MemberView } from '../../src/distro/mapper.js';
import type { DistroOutcome, DistroRequest } from '../../src/distro/messages.js';
import { newDistro, type DistroMutations } from '../sim/distro-mutants.js';

export const svc = (name = 'orders') => ({ namespace: 'public', group: 'DEFAULT_GROUP', name });
export const inst = (ip: string, port = 80, extra: Partial<Instance> = {}): Instance => ({
  instanceId: `${ip}#${port}`,
  ip,
  port,
  weight: 1,
  healthy: true,
  enabled: true,
  ephemeral: true,
  clusterName: 'DEFAULT',
  metadata: {},
  ...extra,
});

export interface Node {
  address: string;
  registry: Registry;
  hlc: HybridLogicalClock;
  distro: DistroProtocol;
}

/**
 * A few members on one ManualClock with an in-memory transport (fixed delay, JSON round trip).
 * `down` makes a member unreachable (requests fail after the delay); `log` records every request.
 */
export class TestCluster {
  readonly clock = new ManualClock();
  readonly nodes = new Map<string, Node>();
  readonly down = new Set<string>();
  /** One-way links that fail like a DOWN member: `from>to`. */
  readonly cut = new Set<string>();
  readonly log: { from: string; to: string; req: DistroRequest }[] = [];
  delayMs = 1;

  constructor(
    addresses: readonly string[],
    private readonly config: Partial<DistroConfig> = {},
    private readonly mutations: DistroMutations = {},
    private readonly standalone = false,
  ) {
    for (const a of addresses) this.add(a, addresses.map((address) => ({ address, state: 'UP' as const })));
  }

  add(address: string, members: readonly MemberView[]): Node {
    const hlc = new HybridLogicalClock(() => this.clock.now());
    const registry = new Registry(hlc.nextRevision);
    const distro = newDistro({
      self: address,
      standalone: this.standalone,
      registry,
      hlc,
      clock: this.clock,
      random: () => 0,
      transport: { send: (to, req, _t, done) => this.send(address, to, req, done) },
      config: this.config,
      members,
    }, this.mutations);
    const n = { address, registry, hlc, distro };
    this.nodes.set(address, n);
    return n;
  }

  node(a: string): Node {
    return this.nodes.get(a)!;
  }

  startAll(): void {
    for (const n of this.nodes.values()) n.distro.start();
  }

  private send(from: string, to: string, req: DistroRequest, done: (o: DistroOutcome) => void): void {
    this.log.push({ from, to, req });
    const json = JSON.stringify(req);
    this.clock.setTimeout(() => {
      const target = this.nodes.get(to);
      if (!target || this.down.has(to) || this.cut.has(`${from}>${to}`)) {
        done({ type: 'failed', reason: 'unreachable' });
        return;
      }
      const res = JSON.stringify(target.distro.handle(JSON.parse(json) as DistroRequest));
      this.clock.setTimeout(() => done(JSON.parse(res) as DistroOutcome), this.delayMs);
    }, this.delayMs);
  }

  sent(type?: DistroRequest['type'], from?: string, to?: string): { from: string; to: string; req: DistroRequest }[] {
    return this.log.filter((l) => (!type || l.req.type === type) && (!from || l.from === from) && (!to || l.to === to));
  }
}

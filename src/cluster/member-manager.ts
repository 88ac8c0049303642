import type { Clock, TimerHandle } from '../core/clock.js';
import type { MemberAddress } from './member-address.js';

export type MemberState = 'STARTING' | 'UP' | 'SUSPICIOUS' | 'DOWN';

export interface Member {
  readonly ip: string;
  readonly port: number;
  readonly address: string;
  state: MemberState;
  /** Consecutive failed probes (local view). */
  failAccessCnt: number;
  extendInfo: Record<string, string | number | boolean>;
  lastRefreshTime: number;
}

/** Result of one probe (member report) to a peer. */
export type ProbeResult = { ok: true; info?: Record<string, string | number | boolean> } | { ok: false; refused: boolean };

export interface MembershipConfig {
  /** Info report to one peer, round-robin (Nacos: 2000 ms). */
  reportIntervalMs: number;
  /** Probe of every non-UP peer (Nacos: 5000 ms). */
  unhealthyProbeIntervalMs: number;
  /** Failures tolerated before DOWN (`nacos.core.member.fail-access-cnt`, Nacos: 3). */
  maxFailAccessCnt: number;
}

export type MembersListener = (view: MembershipView) => void;

export interface MembershipView {
  /** Every member including self, sorted by address. */
  readonly all: readonly Member[];
  /** Addresses of UP and SUSPICIOUS members (self included), sorted: the Distro responsibility ring. */
  readonly healthy: readonly string[];
  /** Bumped on every change; listeners can drop stale views. */
  readonly seq: number;
}

/**
 * Cluster membership, deterministic: the member list comes from a lookup (applyLookup), states
 * from probe results (docs/protocol/distro.md §5.3–5.5). Time and the probe are injected.
 *  - probe ok → UP, failures reset; probe failed → SUSPICIOUS, and DOWN after more than
 *    `maxFailAccessCnt` failures or at once when the connection was refused;
 *  - a report received from a listed peer marks it UP; an unknown reporter is not added;
 *  - self is always in the list and always UP.
 */
export class MemberManager {
  private readonly members = new Map<string, Member>();
  private readonly listeners: MembersListener[] = [];
  private seq = 0;
  private cursor = 0;
  private timers: TimerHandle[] = [];
  private readonly inFlight = new Set<string>();

  constructor(
    readonly self: MemberAddress,
    private readonly clock: Clock,
    private readonly probe: (m: Member) => Promise<ProbeResult>,
    private readonly cfg: MembershipConfig,
    private readonly selfInfo: () => Record<string, string | number | boolean> = () => ({}),
  ) {
    this.members.set(self.address, this.newMember(self, 'UP'));
  }

  onChange(l: MembersListener): void {
    this.listeners.push(l);
  }

  view(): MembershipView {
    const all = [...this.members.values()].sort((a, b) => cmp(a.address, b.address));
    const healthy = all.filter((m) => m.state === 'UP' || m.state === 'SUSPICIOUS').map((m) => m.address);
    return { all, healthy, seq: this.seq };
  }

  get(address: string): Member | undefined {
    return this.members.get(address);
  }

  peers(): Member[] {
    return this.view().all.filter((m) => m.address !== this.self.address);
  }

  /**
   * Applies a looked-up list. An empty list is ignored (a failed read must not empty the cluster).
   * Known members keep their state; new ones start UP (as Nacos); removed ones disappear.
   */
  applyLookup(list: readonly MemberAddress[]): boolean {
    if (list.length === 0) return false;
    const next = new Map<string, Member>();
    next.set(this.self.address, this.members.get(this.self.address)!);
    for (const a of list) next.set(a.address, this.members.get(a.address) ?? this.newMember(a, 'UP'));
    const changed = next.size !== this.members.size || [...next.keys()].some((k) => !this.members.has(k));
    if (!changed) return false;
    this.members.clear();
    for (const [k, v] of next) this.members.set(k, v);
    this.emit();
    return true;
  }

  /** A peer reported itself to us: it is alive. Unknown reporters are not added. */
  onReportReceived(address: string, info: Record<string, string | number | boolean> = {}): boolean {
    const m = this.members.get(address);
    if (!m || address === this.self.address) return false;
    const wasUp = m.state === 'UP';
    m.state = 'UP';
    m.extendInfo = { ...m.extendInfo, ...info };
    m.lastRefreshTime = this.clock.monotonic();
    if (!wasUp) this.emit();
    return true;
  }

  /** Records the result of a probe to `address`. */
  onProbeResult(address: string, r: ProbeResult): void {
    const m = this.members.get(address);
    if (!m || address === this.self.address) return;
    const before = m.state;
    if (r.ok) {
      m.state = 'UP';
      m.failAccessCnt = 0;
      m.lastRefreshTime = this.clock.monotonic();
      if (r.info) m.extendInfo = { ...m.extendInfo, ...r.info };
    } else {
      m.failAccessCnt++;
      m.state = r.refused || m.failAccessCnt > this.cfg.maxFailAccessCnt ? 'DOWN' : 'SUSPICIOUS';
    }
    if (m.state !== before) this.emit();
  }

  start(): void {
    this.timers.push(this.clock.setInterval(() => this.reportNext(), this.cfg.reportIntervalMs));
    this.timers.push(this.clock.setInterval(() => this.probeUnhealthy(), this.cfg.unhealthyProbeIntervalMs));
  }

  stop(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }

  /** One round of the info report: the next peer, round-robin. */
  reportNext(): void {
    const peers = this.peers();
    if (peers.length === 0) return;
    const m = peers[this.cursor++ % peers.length]!;
    this.probeOne(m);
  }

  /** Probes every peer that is not UP. */
  probeUnhealthy(): void {
    for (const m of this.peers()) if (m.state !== 'UP') this.probeOne(m);
  }

  selfDescription(): Record<string, string | number | boolean> {
    return this.selfInfo();
  }

  private probeOne(m: Member): void {
    if (this.inFlight.has(m.address)) return;
    this.inFlight.add(m.address);
    this.probe(m).then(
      (r) => {
        this.inFlight.delete(m.address);
        this.onProbeResult(m.address, r);
      },
      () => {
        this.inFlight.delete(m.address);
        this.onProbeResult(m.address, { ok: false, refused: false });
      },
    );
  }

  private newMember(a: MemberAddress, state: MemberState): Member {
    return { ip: a.ip, port: a.port, address: a.address, state, failAccessCnt: 0, extendInfo: {}, lastRefreshTime: this.clock.monotonic() };
  }

  private emit(): void {
    this.seq++;
    const v = this.view();
    for (const l of this.listeners) l(v);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

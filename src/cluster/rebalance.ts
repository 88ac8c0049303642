/**
 * SDK connection rebalance (beyond Nacos). Every `intervalMs` a member compares its SDK connection
 * count with the cluster average (peers report theirs in their member reports) and, when it is
 * above the average by more than `margin` (a fraction) and by at least one whole connection, asks
 * a few of its connections to move (ConnectResetRequest, stream end; their clients are handed over
 * so no instance disappears). Never more than `maxPerRound` per round, so a cluster converges over
 * several rounds instead of stampeding. Decision logic is pure (`planRebalance`); the timer and
 * the I/O are injected.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

export interface PeerLoad {
  address: string;
  /** Reported SDK connection count; null when the peer has not reported one (yet). */
  connections: number | null;
  /** UP in this member's view. */
  up: boolean;
  /** The peer is draining (it is leaving: not a target, not part of the average). */
  draining: boolean;
  /** When its report was last refreshed (ms). */
  reportedAt: number;
}

export interface RebalanceSettings {
  /** Move only when self > average × (1 + margin). */
  margin: number;
  /** Max connections asked to move in one round. */
  maxPerRound: number;
  /** Peers' counts older than this are not trusted: no round. */
  maxReportAgeMs: number;
}

export interface RebalancePlan {
  /** How many connections to move now (0: none). */
  move: number;
  average: number;
  /** Why nothing moves, for logs and tests. */
  reason: string;
  /** Where to point clients that honour ConnectResetRequest: the least loaded peers first. */
  targets: string[];
}

/**
 * Pure decision: how many of this member's `self` connections to move, given the peers' loads.
 * `inTransit`: connections this member asked to move that have not shown up elsewhere yet; they
 * count in the total (else the average is too low while SDKs reconnect, and rounds overshoot).
 */
export function planRebalance(self: number, peers: readonly PeerLoad[], now: number, s: RebalanceSettings, inTransit = 0): RebalancePlan {
  const none = (reason: string, average = 0): RebalancePlan => ({ move: 0, average, reason, targets: [] });
  const live = peers.filter((p) => p.up && !p.draining);
  if (live.length === 0) return none('no live peer');
  if (live.some((p) => p.connections === null || now - p.reportedAt > s.maxReportAgeMs)) return none('peer counts unknown or stale');
  const total = self + Math.max(0, inTransit) + live.reduce((k, p) => k + (p.connections ?? 0), 0);
  const average = total / (live.length + 1);
  if (self <= average * (1 + s.margin)) return none('within margin', average);
  const excess = Math.floor(self - average);
  if (excess < 1) return none('less than one connection above average', average);
  const targets = [...live].sort((a, b) => (a.connections ?? 0) - (b.connections ?? 0) || (a.address < b.address ? -1 : 1)).map((p) => p.address);
  return { move: Math.min(excess, Math.max(0, s.maxPerRound)), average, reason: 'above average', targets };
}

export interface RebalancerDeps {
  clock: Clock;
  /** Read at every round. */
  settings: () => RebalanceSettings;
  intervalMs: number;
  /** Whether a round may run now (ready, not draining). */
  active(): boolean;
  /** This member's registered SDK connections with their creation time. */
  connections(): readonly { id: string; createdAt: number }[];
  peers(): readonly PeerLoad[];
  /** Connections moved by this member whose SDK has not registered elsewhere yet (the hand-over set). */
  inTransit(): number;
  /** Asks one connection to move, preferably to `target` (a member address). */
  move(connectionId: string, target: string | undefined): void;
  log?: (obj: object, msg: string) => void;
}

export class ConnectionRebalancer {
  private timer: TimerHandle | null = null;
  /** Connections asked to move so far. */
  moved = 0;
  lastPlan: RebalancePlan | null = null;

  constructor(private readonly d: RebalancerDeps) {}

  start(): void {
    if (!this.timer) this.timer = this.d.clock.setInterval(() => this.round(), this.d.intervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** One round: plan, then move the most recently created connections (the ones that piled up last). */
  round(): RebalancePlan | null {
    if (!this.d.active()) return null;
    const conns = this.d.connections();
    const plan = planRebalance(conns.length, this.d.peers(), this.d.clock.monotonic(), this.d.settings(), this.d.inTransit());
    this.lastPlan = plan;
    if (plan.move === 0) return plan;
    const pick = newestFirst(conns).slice(0, plan.move);
    pick.forEach((c, i) => this.d.move(c.id, plan.targets.length > 0 ? plan.targets[i % plan.targets.length] : undefined));
    this.moved += pick.length;
    this.d.log?.({ connections: conns.length, average: Math.round(plan.average * 10) / 10, moved: pick.length }, 'rebalance: asked connections to move');
    return plan;
  }
}

/** Nacos' `LOADER_FACTOR`: one reload request moves at most this fraction of a member's SDK connections. */
export const RELOAD_FACTOR = 0.1;

/**
 * Pure decision of a `ServerReloadRequest` (docs/protocol/nacos3.md "Loader requests"): `keep` is
 * how many SDK connections the caller wants this member to keep. At or below it: nothing moves
 * (`ignore`). Above: the member keeps max(keep, sdkCount × (1 − factor)) and moves the rest, so one
 * request never moves more than `factor` of its connections.
 */
export function planReload(sdkCount: number, keep: number, factor = RELOAD_FACTOR): { answer: 'ok' | 'ignore'; move: number } {
  if (sdkCount <= keep) return { answer: 'ignore', move: 0 };
  const kept = Math.max(keep, Math.trunc(sdkCount * (1 - factor)));
  return { answer: 'ok', move: Math.max(0, sdkCount - kept) };
}

/** Connections, the most recently created first (ties by id): the ones a move picks. */
export function newestFirst<T extends { id: string; createdAt: number }>(conns: readonly T[]): T[] {
  return [...conns].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
}

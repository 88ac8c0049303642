import type { Clock, TimerHandle } from '../core/clock.js';
import type { DistroConfig } from './config.js';
import { bucketDigests, bucketOf } from './digest.js';
import type { DistroDataStorage } from './data-storage.js';
import type { DistroDelayTaskEngine } from './delay-task-engine.js';
import type { HybridLogicalClock, Stamp } from './hlc.js';
import { kindOfClientId } from './mapper.js';
import { jsonSize, type SyncEntry, type VerifyDigestRequest, type VerifyItem, type VerifyListRequest, type VerifyListResponse } from './messages.js';
import type { DistroCounters } from './stats.js';
import { request, type DistroTransportAgent } from './transport-agent.js';

export interface VerifyDeps {
  readonly self: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly transport: DistroTransportAgent;
  readonly storage: DistroDataStorage;
  readonly delay: DistroDelayTaskEngine;
  readonly hlc: HybridLogicalClock;
  readonly config: DistroConfig;
  readonly counters: DistroCounters;
  /** Peers to verify with (in the member list, not DOWN). */
  readonly targets: () => readonly string[];
  readonly isLoaded: () => boolean;
  readonly onNewer: (peer: string, entries: readonly SyncEntry[]) => void;
  readonly stopped: () => boolean;
}

export interface PeerVerifyState {
  at: number;
  ok: boolean;
}

/**
 * The verify task (seed: DistroVerifyTimedTask + DistroVerifyExecuteTask), sender side. Every
 * `verifyIntervalMs`, once loaded (docs/protocol/distro.md §9.11), each peer is told what this member is responsible
 * for — as bucket digests (default; O(buckets) bytes instead of one RPC per client, docs/protocol/distro.md §8.B6),
 * then per-client lists for mismatched buckets only; or as one per-client list. The peer answers
 * what it lacks (re-sent at once, docs/protocol/distro.md §9.10), what it holds later (adopted), and which ip-port
 * clients it holds as ours that we did not list (answered with our DELETE when we know one).
 */
export class DistroVerifyTask {
  private timer: TimerHandle | null = null;
  readonly lastByPeer = new Map<string, PeerVerifyState>();
  lastRoundBytes = 0;
  totalBytes = 0;

  constructor(private readonly d: VerifyDeps) {}

  start(): void {
    // First round after one interval, spread by up to 20% so members do not verify in lockstep.
    const first = Math.round(this.d.config.verifyIntervalMs * (1 + 0.2 * this.d.random()));
    this.timer = this.d.clock.setTimeout(() => this.tick(), first);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private tick(): void {
    if (this.d.stopped()) return;
    this.timer = this.d.clock.setTimeout(() => this.tick(), this.d.config.verifyIntervalMs);
    this.runRound();
  }

  /** One verify round to every target. Exposed for tests. */
  runRound(): void {
    if (!this.d.isLoaded()) return;
    const targets = this.d.targets();
    if (targets.length === 0) return;
    this.d.counters.verifyRounds++;
    const round = { bytes: 0, open: targets.length };
    const finish = (bytes: number): void => {
      round.bytes += bytes;
      this.totalBytes += bytes;
      if (--round.open === 0) this.lastRoundBytes = round.bytes;
    };
    const items = this.d.storage.responsibleStamps();
    const asOf = this.d.hlc.next();
    if (this.d.config.verifyMode === 'digest') {
      // One digest per round, the same for every peer.
      const B = this.d.config.verifyBuckets;
      const digests: [number, number, number][] = [];
      for (const [b, [count, sum]] of this.digestsOf(items, B)) digests.push([b, count, sum]);
      digests.sort((a, b) => a[0] - b[0]);
      const req: VerifyDigestRequest = { type: 'verify-digest', from: this.d.self, asOf, buckets: B, digests };
      const bytes = jsonSize(req);
      for (const peer of targets) this.sendDigest(peer, req, bytes, finish);
    } else {
      const req = this.listRequest(items, asOf, null);
      for (const peer of targets) this.sendList(peer, req, finish, 0);
    }
  }

  /** Bucket digests of what this member is responsible for (a seam for the simulator's mutation tests). */
  protected digestsOf(items: Iterable<{ id: string; stamp: Stamp }>, buckets: number): Map<number, [number, number]> {
    return bucketDigests(items, buckets);
  }

  private sendDigest(peer: string, req: VerifyDigestRequest, bytes: number, finish: (bytes: number) => void): void {
    const B = req.buckets;
    this.d.counters.verifyMessagesSent++;
    request(this.d.transport, this.d.clock, peer, req, this.d.config.verifyTimeoutMs, (r) => {
      if (this.d.stopped()) return;
      if (!r.ok) {
        this.failed(peer);
        finish(bytes);
        return;
      }
      const resBytes = jsonSize(r.response);
      const mismatched = r.response.mismatched;
      if (!Array.isArray(mismatched) || mismatched.length === 0) {
        this.done(peer);
        finish(bytes + resBytes);
        return;
      }
      if (!this.d.targets().includes(peer)) {
        finish(bytes + resBytes);
        return;
      }
      // Step 2: the per-client list of the mismatched buckets, as of now.
      const scope = new Set(mismatched);
      const now = this.d.storage.responsibleStamps().filter((i) => scope.has(bucketOf(i.id, B)));
      const list = this.listRequest(now, this.d.hlc.next(), { buckets: B, scope: [...scope].sort((a, b) => a - b) });
      this.sendList(peer, list, finish, bytes + resBytes);
    });
  }

  private listRequest(items: readonly { id: string; stamp: Stamp }[], asOf: number, scope: { buckets: number; scope: number[] } | null): VerifyListRequest {
    const clients: VerifyItem[] = items.map(({ id, stamp }) => (stamp.writer === this.d.self ? [id, stamp.version] : [id, stamp.version, stamp.writer]));
    return { type: 'verify-list', from: this.d.self, asOf, buckets: scope?.buckets ?? null, scope: scope?.scope ?? null, clients };
  }

  private sendList(peer: string, req: VerifyListRequest, finish: (bytes: number) => void, carried: number): void {
    const bytes = carried + jsonSize(req);
    this.d.counters.verifyMessagesSent++;
    request(this.d.transport, this.d.clock, peer, req, this.d.config.verifyTimeoutMs, (r) => {
      if (this.d.stopped()) return;
      if (!r.ok) {
        this.failed(peer);
        finish(bytes);
        return;
      }
      this.onListResult(peer, r.response);
      this.done(peer);
      finish(bytes + jsonSize(r.response));
    });
  }

  private onListResult(peer: string, res: VerifyListResponse): void {
    const { delay, storage, counters } = this.d;
    for (const id of res.need ?? []) {
      if (!storage.isResponsible(id)) continue;
      delay.add(peer, id, 0, 'repair');
      counters.verifyRepairs++;
    }
    for (const id of res.extra ?? []) {
      // The peer holds an ip-port client as ours that we do not have: send our DELETE if we know one.
      if (kindOfClientId(id) !== 'ephemeral-ipport' || storage.client(id)) continue;
      if (storage.outgoingEntry(id)?.op === 'delete') {
        delay.add(peer, id, 0, 'repair');
        counters.verifyRepairs++;
      }
    }
    if (Array.isArray(res.newer) && res.newer.length > 0) this.d.onNewer(peer, res.newer);
  }

  private done(peer: string): void {
    this.lastByPeer.set(peer, { at: this.d.clock.monotonic(), ok: true });
  }

  private failed(peer: string): void {
    this.d.counters.verifyMessagesFailed++;
    this.lastByPeer.set(peer, { at: this.d.clock.monotonic(), ok: false });
  }
}

/**
 * Deterministic Raft cluster simulator: N RaftNodes, each behind a simulated host that
 * persists Ready batches to a MemoryRaftStorage after a random "fsync" delay (or, in durable mode,
 * to a DurableRaftStorage on a simulated disk that tears unsynced writes on a crash), sends messages over
 * a faulty simulated network, applies committed entries to a KV register state machine, compacts
 * its log, and serves ReadIndex reads. Everything derives from one seed (test/sim/prng.ts) and
 * runs on simulated time (test/sim/scheduler.ts).
 *
 * Safety properties are checked continuously (see `Checker`), linearizability of the recorded
 * client history at the end, and liveness after all faults are healed.
 */
import {
  DurableRaftStorage,
  MemoryRaftStorage,
  RaftNode,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type RaftStorage,
  type Ready,
} from '../../src/raft/index.js';
import type { ProposeResult } from '../../src/raft/node.js';
import type { MemberChange } from '../../src/raft/types.js';
import type { HostMutation } from './raft-host-mutants.js';
import { ProdHost } from './raft-prod-host.js';
import { Rng } from './prng.js';
import { newRaftNode, type RaftMutation } from './raft-mutants.js';
import { SimScheduler, TimerGroup } from './scheduler.js';
import { SimDisk } from './sim-disk.js';
import { checkLinearizable, type RegOp } from './raft-linearizability.js';

export interface RaftSimOptions {
  seed: number;
  nodes: number;
  mutation: RaftMutation;
  /** Simulated duration of the fault phase. */
  chaosMs: number;
  /** Simulated time allowed after healing for a leader to emerge and all nodes to converge. */
  settleMs: number;
  tickMs: number;
  clients: number;
  keys: number;
  /** Host-level break for the mutation test: serve reads from local state without ReadIndex. */
  localReads: boolean;
  /** Gap between two faults, ms (uniform). */
  faultGapMs: [number, number];
  /**
   * Hosts persist to DurableRaftStorage on a SimDisk: a crash keeps only fsynced bytes plus a torn
   * prefix of the rest, and a restart recovers from the disk. Needs `runRaftSimAsync`.
   */
  durable: boolean;
  /** Durable mode, mutation test only: the simulated disks acknowledge fsync of log segments without making them durable. */
  lyingDisk?: boolean;
  /**
   * Durable mode: run the production host (src/raft/host.ts, test/sim/raft-prod-host.ts) instead of
   * the simulator's own canonical host, with whole-disk loss and mid-log corruption faults.
   */
  production?: boolean;
  /** Production host only: a deliberately broken host for the mutation tests. */
  hostMutation?: HostMutation;
  /** Durable mode: the chance that an fsync of a write is hit by a power loss (default 0.004). */
  crashMidWriteRate?: number;
  /**
   * Connection-loss reports (docs/raft.md "Leader lost"): 1–5 ms after a member crashes, every live
   * member is told its connection to it failed (RaftNode.reportUnreachable), as the production
   * transport does when a stream breaks; and at a third of the faults a random live member is told
   * so about its leader while the leader is fine (a connection blip). Off by default, so the other
   * profiles' seeds replay as before.
   */
  leaderLostReports?: boolean;
}

export interface RaftSimResult {
  seed: number;
  violations: string[];
  stats: {
    events: number;
    messages: number;
    writesAcked: number;
    writesUnknown: number;
    reads: number;
    crashes: number;
    partitions: number;
    snapshotsSent: number;
    compactions: number;
    leaders: number;
    maxTerm: number;
    linExplored: number;
    transfers: number;
    confChanges: number;
    /** ms after healing until one leader was first followed by every member (-1: never within settleMs). */
    leaderAfterHealMs: number;
    /** Durable mode: restarts that found (and truncated) a torn log tail, and unsynced bytes lost in crashes. */
    tornTails: number;
    tornBytes: number;
    /** Durable mode: crashes injected right after a write started (restarted 20–200 ms later). */
    writeCrashes: number;
    /** Production host: members whose whole disk was lost, and replaced by a new member with an empty disk. */
    diskLosses: number;
    /** Production host: members whose log was corrupted in the middle and that refused to start. */
    refusedStarts: number;
    /** Production host: replacements completed by the simulated operator (old member removed, new one a voter). */
    replacements: number;
    /** Production host: members whose whole disk was lost and that restarted empty under the same id (in join mode). */
    wipes: number;
    /** `leaderLostReports`: connection blips reported to a follower about its live leader. */
    blips: number;
  };
}

export function defaultSimOptions(seed: number): RaftSimOptions {
  return { seed, nodes: seed % 2 === 0 ? 3 : 5, mutation: 'none', chaosMs: 4000, settleMs: 3000, tickMs: 10, clients: 3, keys: 2, localReads: false, faultGapMs: [50, 400], durable: false };
}

/** The production host (src/raft/host.ts) on simulated disks, with disk loss and corruption faults. */
export function productionSimOptions(seed: number): RaftSimOptions {
  return { ...defaultSimOptions(seed), durable: true, production: true, crashMidWriteRate: 0.01 };
}

interface KvState {
  kv: Record<string, string>;
  ids: string[];
}

interface WriteCmd {
  id: string;
  key: string;
  value: string;
}

class SafetyViolation extends Error {}

/** Events per run beyond which the run counts as a livelock. */
const MAX_EVENTS = 500_000;

/** Where a host's Raft state lives: synchronous memory, or durable storage whose writes complete later. */
interface HostStore {
  readonly storage: RaftStorage;
  /** Persists the Ready's snapshot, entries and hard state; null when already done. */
  persist(rd: Ready): Promise<void> | null;
  compact(index: number, data: string, conf: ConfState): Promise<void> | null;
}

/** SIM_TRACE: unset/0 → off; 1 → from the start; another number → from that simulated ms. */
function traceFromEnv(): number | null {
  const v = process.env['SIM_TRACE'];
  if (v === undefined || v === '' || v === '0') return null;
  const n = Number(v);
  return Number.isFinite(n) && n > 1 ? n : 0;
}

function memoryStore(s: MemoryRaftStorage): HostStore {
  return {
    storage: s,
    persist(rd) {
      if (rd.snapshot) s.applySnapshot(rd.snapshot);
      if (rd.entries.length > 0) s.append(rd.entries);
      if (rd.hardState) s.setHardState(rd.hardState);
      return null;
    },
    compact(index, data, conf) {
      s.compact(index, data, conf);
      return null;
    },
  };
}

function durableStore(s: DurableRaftStorage): HostStore {
  return {
    storage: s,
    persist: (rd) => s.persist({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState }),
    compact: (index, data, conf) => s.compact(index, data, conf),
  };
}

/** What the simulation needs of a member: the canonical Host below or the production ProdHost. */
export interface SimMember {
  readonly id: NodeId;
  readonly alive: boolean;
  /** Reopening its storage after a restart (not alive yet). */
  readonly starting: boolean;
  /** Taken out of service for good (its disk was lost or refused to start): never restarted. */
  retired: boolean;
  readonly incarnation: number;
  readonly group: TimerGroup;
  readonly node: RaftNode;
  readonly disk: SimDisk | null;
  /** Last log index applied here. */
  readonly appliedIndex: number;
  readonly kv: Readonly<Record<string, string>>;
  /** Ids of the client writes applied here, and how many writes were applied (duplicates count). */
  readonly appliedIds: ReadonlySet<string>;
  readonly appliedWrites: number;
  receive(m: Message): void;
  /** The transport lost its connection to `peer` (RaftNode.reportUnreachable). */
  reportUnreachable(peer: NodeId): void;
  /** The snapshot sent to `peer` was not delivered (RaftNode.reportSnapshot; docs/raft.md "Snapshot transfer"). */
  reportSnapshot(peer: NodeId): void;
  /** The image of a snapshot its core handed out with `imageInStorage` (the production host's storage). */
  snapshotImage?(index: number): Promise<Buffer>;
  /**
   * Resolves once a snapshot at `index` is installed here (durable and restored): the production
   * link answers the leader's snapshot request only then (docs/raft.md "Snapshot transfer").
   */
  snapshotInstalled?(index: number): Promise<void>;
  crash(): void;
  restart(): void;
  /** A client write; the client learns it applied through RaftSim.writeApplied. */
  clientWrite(id: string, data: string): ProposeResult;
  /** A linearizable client read of `key`; `done` gets the value (never called if it fails). */
  clientRead(ctx: string, key: string, done: (value: string | null) => void): { ok: true } | { ok: false; leader: NodeId };
  /** The state-machine value here, without any coordination (the "local reads" mutation). */
  readValue(key: string): string | null;
  transferLeadership(to: NodeId): boolean;
  proposeConfChange(cc: MemberChange): boolean;
}

/** Global knowledge used by the safety checks. */
export class Checker {
  readonly violations: string[] = [];
  /** term → leader (election safety, Raft Fig. 3). */
  readonly leaders = new Map<number, NodeId>();
  /** (index, term) → data: two logs holding an entry with the same index and term hold the same entry. */
  readonly entryData = new Map<string, string>();
  /** index → entry applied by anyone (state-machine safety). */
  readonly applied = new Map<number, Entry>();
  maxApplied = 0;

  fail(msg: string): never {
    this.violations.push(msg);
    throw new SafetyViolation(msg);
  }

  /** Per sender: the highest term of its term-bearing messages (pre-vote traffic excluded). */
  private readonly sentTerm = new Map<NodeId, number>();
  /** `voter/term` → the candidate it granted its vote to. */
  private readonly granted = new Map<string, NodeId>();
  /** `follower>leader/term` → the highest index the follower acknowledged to that leader. */
  private readonly acked = new Map<string, number>();

  /**
   * Raft's persistent state, judged from the messages on the wire (Raft Fig. 2: currentTerm,
   * votedFor and the log are on stable storage before a member answers): a member's term never
   * goes back, it grants at most one vote per term, and within a term it never rejects an append
   * at an index it has already acknowledged to that term's leader. A host that sends before its
   * write is durable (or a disk that lies about fsync) breaks these at the next crash.
   */
  sawMessage(m: Message): void {
    if (m.type === 'preVote' || m.type === 'preVoteResp') return;
    const prev = this.sentTerm.get(m.from) ?? 0;
    if (m.term < prev) this.fail(`durability: ${m.from} sent ${m.type} in term ${m.term} after messages of term ${prev} (its term went back)`);
    this.sentTerm.set(m.from, Math.max(prev, m.term));
    if (m.type === 'voteResp' && !m.reject) {
      const k = `${m.from}/${m.term}`;
      const c = this.granted.get(k);
      if (c !== undefined && c !== m.to) this.fail(`election safety: ${m.from} granted its vote in term ${m.term} to ${c} and to ${m.to}`);
      this.granted.set(k, m.to);
    } else if (m.type === 'appResp') {
      const k = `${m.from}>${m.to}/${m.term}`;
      const a = this.acked.get(k) ?? 0;
      if (!m.reject) this.acked.set(k, Math.max(a, m.index));
      // A follower that kept what it acknowledged accepts any probe at or below it, and its
      // rejection hint (the last index whose term is ≤ the probe's) never falls below it.
      else if (m.index <= a || m.hint < a) {
        this.fail(`durability: ${m.from} acknowledged entries up to ${a} to ${m.to} in term ${m.term}, then rejected an append at ${m.index} with hint ${m.hint} (it lost acknowledged entries)`);
      }
    }
  }

  /**
   * The harness wiped `id`'s disk (a fault it injected, not something learnt from the member): its
   * term and acknowledged entries are gone, so the wire checks of its persistent state start over.
   * Votes are kept: a wiped member granting a second vote in a term is still a violation.
   */
  diskLost(id: NodeId): void {
    this.sentTerm.delete(id);
    for (const k of [...this.acked.keys()]) if (k.startsWith(`${id}>`)) this.acked.delete(k);
  }

  sawEntry(e: Entry, who: NodeId): void {
    const k = `${e.index}/${e.term}`;
    const d = this.entryData.get(k);
    if (d === undefined) this.entryData.set(k, e.data);
    else if (d !== e.data) this.fail(`log matching: ${who} has entry ${k} = ${e.data}, another log has ${d}`);
  }

  sawApply(e: Entry, who: NodeId): void {
    const prev = this.applied.get(e.index);
    if (!prev) {
      this.applied.set(e.index, { ...e });
      this.maxApplied = Math.max(this.maxApplied, e.index);
    } else if (prev.term !== e.term || prev.data !== e.data) {
      this.fail(`state machine safety: ${who} applied ${e.index}/${e.term} "${e.data}", another node applied ${prev.index}/${prev.term} "${prev.data}"`);
    }
  }

  sawLeader(node: RaftNode, now: number): void {
    const l = this.leaders.get(node.term);
    if (l === node.id) return;
    if (l !== undefined) this.fail(`election safety: ${l} and ${node.id} both leader in term ${node.term} (t=${now})`);
    this.leaders.set(node.term, node.id);
    // Leader completeness (Raft §5.4): every entry already applied somewhere (hence committed in
    // an earlier term) is in the new leader's log.
    const first = node.log.firstIndex();
    for (let i = Math.max(first, 1); i <= this.maxApplied; i++) {
      const e = this.applied.get(i);
      if (!e) continue;
      const t = node.log.term(i);
      if (t !== e.term) this.fail(`leader completeness: leader ${node.id} of term ${node.term} has term ${t ?? 'none'} at committed index ${i} (term ${e.term})`);
    }
    if (node.log.lastIndex() < this.maxApplied && first <= this.maxApplied) {
      this.fail(`leader completeness: leader ${node.id} log ends at ${node.log.lastIndex()} < committed ${this.maxApplied}`);
    }
  }

  /** Full log matching between two nodes: if they agree at i they agree on everything before. */
  logMatching(a: RaftNode, b: RaftNode): void {
    const lo = Math.max(a.log.firstIndex(), b.log.firstIndex());
    const hi = Math.min(a.log.lastIndex(), b.log.lastIndex());
    let top = -1;
    for (let i = hi; i >= lo; i--) {
      if (a.log.term(i) === b.log.term(i)) {
        top = i;
        break;
      }
    }
    if (top < lo) return;
    const ea = a.log.slice(lo, top + 1);
    const eb = b.log.slice(lo, top + 1);
    for (let k = 0; k < ea.length; k++) {
      const x = ea[k]!;
      const y = eb[k]!;
      if (x.term !== y.term || x.data !== y.data) {
        this.fail(`log matching: ${a.id} and ${b.id} agree at ${top} but differ at ${x.index} (${x.term} vs ${y.term})`);
      }
    }
  }
}

class Host implements SimMember {
  alive = true;
  retired = false;
  /** Durable mode: reopening its storage after a restart (not alive yet). */
  starting = false;
  /** Durable mode: a Ready is being persisted / a compaction is running. */
  persisting = false;
  compacting = false;
  incarnation = 0;
  group = new TimerGroup();
  node: RaftNode;
  sm: KvState = { kv: {}, ids: [] };
  idSet = new Set<string>();
  appliedIndex = 0;
  readyScheduled = false;
  readWaiters = new Map<string, (value: string | null) => void>();
  servable: { ctx: string; index: number }[] = [];

  constructor(
    readonly id: NodeId,
    private store: HostStore,
    private readonly sim: RaftSim,
    /** Durable mode: the host's disk (its storage lives under /raft). */
    readonly disk: SimDisk | null = null,
  ) {
    this.node = this.boot();
  }

  get storage(): RaftStorage {
    return this.store.storage;
  }

  boot(): RaftNode {
    const snap = this.storage.snapshot();
    this.sm = snap.data ? (JSON.parse(snap.data) as KvState) : { kv: {}, ids: [] };
    this.idSet = new Set(this.sm.ids);
    this.appliedIndex = snap.meta.index;
    this.readWaiters.clear();
    this.servable = [];
    this.readyScheduled = false;
    const rng = this.sim.rng.fork();
    this.node = newRaftNode(
      {
        id: this.id,
        storage: this.storage,
        electionTick: 10,
        random: () => rng.next(),
        ...this.sim.nodeConfig,
      },
      this.sim.opts.mutation,
    );
    const clock = this.sim.sched.clock(this.group, 0);
    clock.setTimeout(() => {
      clock.setInterval(() => {
        this.node.tick();
        this.kick();
      }, this.sim.opts.tickMs);
    }, this.sim.rng.int(0, this.sim.opts.tickMs));
    return this.node;
  }

  kick(): void {
    if (!this.alive || this.readyScheduled || this.persisting || !this.node.hasReady()) return;
    this.readyScheduled = true;
    // Persisting takes time; a crash before this fires loses everything in the batch.
    this.sim.sched.after(this.sim.rng.int(0, 3), () => this.processReady(), this.group);
  }

  receive(m: Message): void {
    if (!this.alive) return;
    this.node.step(m);
    this.kick();
  }

  private processReady(): void {
    this.readyScheduled = false;
    const rd: Ready = this.node.ready();
    const check = this.sim.checker;
    // 1. persist
    for (const e of rd.entries) check.sawEntry(e, this.id);
    const persisted = this.store.persist(rd);
    if (!persisted) return this.afterPersist(rd);
    // Durable: the rest happens once the write is fsynced — never, if the host crashes first.
    // The node keeps running meanwhile (ticks, messages); its next Ready waits for advance().
    this.persisting = true;
    this.sim.asyncWork(persisted, this, () => {
      this.persisting = false;
      this.afterPersist(rd);
    });
    if (this.sim.crashMidWrite()) {
      // Power loss while this write may still be unsynced, and a restart a little later.
      const inc = this.incarnation;
      this.sim.sched.after(this.sim.rng.int(0, 3), () => {
        if (!this.alive || this.incarnation !== inc) return;
        this.crash();
        this.sim.stats.crashes++;
        this.sim.stats.writeCrashes++;
        this.sim.sched.after(this.sim.rng.int(20, 200), () => {
          if (!this.alive && !this.starting && this.incarnation === inc) this.restart();
        });
      });
    }
  }

  private afterPersist(rd: Ready): void {
    const check = this.sim.checker;
    // 2. send
    for (const m of rd.messages) this.sim.net.send(m);
    // 3. apply
    if (rd.snapshot) {
      this.sm = JSON.parse(rd.snapshot.data) as KvState;
      this.idSet = new Set(this.sm.ids);
      this.appliedIndex = rd.snapshot.meta.index;
    }
    for (const e of rd.committedEntries) {
      if (e.index !== this.appliedIndex + 1) check.fail(`apply gap on ${this.id}: ${e.index} after ${this.appliedIndex}`);
      check.sawApply(e, this.id);
      this.appliedIndex = e.index;
      if (e.type === 'conf') {
        this.node.applyConfChange(JSON.parse(e.data) as Parameters<RaftNode['applyConfChange']>[0]);
      } else if (e.data !== '') {
        const cmd = JSON.parse(e.data) as WriteCmd;
        if (!this.idSet.has(cmd.id)) {
          // Duplicate proposals of one client op (retries) apply once (thesis §6.3).
          this.idSet.add(cmd.id);
          this.sm.ids.push(cmd.id);
          this.sm.kv[cmd.key] = cmd.value;
        }
        this.sim.writeApplied(cmd.id);
      }
    }
    this.servable.push(...rd.readStates);
    this.serveReads();
    this.node.advance(rd);
    // 4. compaction (host-driven, Raft §7)
    if (!this.compacting && this.appliedIndex - this.storage.firstIndex() >= this.sim.compactEvery && this.appliedIndex <= this.storage.lastIndex()) {
      const compacted = this.store.compact(this.appliedIndex, JSON.stringify(this.sm), this.node.confState());
      this.sim.stats.compactions++;
      if (compacted) {
        this.compacting = true;
        this.sim.asyncWork(compacted, this, () => void (this.compacting = false));
      }
    }
    this.kick();
  }

  private serveReads(): void {
    const keep: { ctx: string; index: number }[] = [];
    for (const r of this.servable) {
      if (r.index > this.appliedIndex) {
        keep.push(r);
        continue;
      }
      const w = this.readWaiters.get(r.ctx);
      if (w) {
        this.readWaiters.delete(r.ctx);
        w(null);
      }
    }
    this.servable = keep;
  }

  readValue(key: string): string | null {
    return this.sm.kv[key] ?? null;
  }

  get kv(): Readonly<Record<string, string>> {
    return this.sm.kv;
  }

  get appliedIds(): ReadonlySet<string> {
    return this.idSet;
  }

  get appliedWrites(): number {
    return this.sm.ids.length;
  }

  clientWrite(_id: string, data: string): ProposeResult {
    const r = this.node.propose(data);
    this.kick();
    return r;
  }

  clientRead(ctx: string, key: string, done: (value: string | null) => void): { ok: true } | { ok: false; leader: NodeId } {
    const r = this.node.readIndex(ctx);
    this.kick();
    if (!r.ok) return r;
    const inc = this.incarnation;
    this.readWaiters.set(ctx, () => {
      if (this.incarnation === inc) done(this.readValue(key));
    });
    return r;
  }

  transferLeadership(to: NodeId): boolean {
    return this.node.transferLeadership(to);
  }

  proposeConfChange(cc: MemberChange): boolean {
    const ok = this.node.proposeConfChange(cc).ok;
    if (ok) this.kick();
    return ok;
  }

  reportUnreachable(peer: NodeId): void {
    if (!this.alive) return;
    this.node.reportUnreachable(peer);
    this.kick();
  }

  reportSnapshot(peer: NodeId): void {
    if (!this.alive) return;
    this.node.reportSnapshot(peer, 'failed');
    this.kick();
  }

  crash(): void {
    this.sim.memberCrashed(this.id);
    this.alive = false;
    this.group.alive = false;
    this.readWaiters.clear();
    if (this.disk) {
      const before = this.disk.stats.tornBytes;
      this.disk.crash();
      this.sim.stats.tornBytes += this.disk.stats.tornBytes - before;
    }
  }

  restart(): void {
    this.incarnation++;
    this.group = new TimerGroup();
    this.persisting = false;
    this.compacting = false;
    if (!this.disk) {
      this.alive = true;
      this.boot();
      return;
    }
    this.starting = true;
    this.sim.asyncWork(this.sim.openStorage(this.disk), this, (st) => {
      if (st.tornTail) this.sim.stats.tornTails++;
      this.store = durableStore(st);
      this.starting = false;
      this.alive = true;
      this.boot();
    });
  }

}

/** One-way message network: delay/jitter (reordering), loss, duplication, directed cuts. */
class RaftNet {
  loss = 0;
  dup = 0;
  minDelay = 1;
  maxDelay = 12;
  private readonly cut = new Set<string>();

  constructor(private readonly sim: RaftSim) {}

  setCut(from: NodeId, to: NodeId, c: boolean): void {
    if (c) this.cut.add(`${from}>${to}`);
    else this.cut.delete(`${from}>${to}`);
  }

  healAll(): void {
    this.cut.clear();
  }

  send(m: Message): void {
    if (m.type === 'snap' && m.snapshot.imageInStorage) return this.sendStoredImage(m);
    // Log matching, judged from what the network carries (every replicated entry passes here).
    this.sim.checker.sawMessage(m);
    this.sim.traceMessage(m);
    if (m.type === 'app') for (const e of m.entries) this.sim.checker.sawEntry(e, m.from);
    const json = JSON.stringify(m);
    this.sim.stats.messages++;
    if (m.type === 'snap') this.sim.stats.snapshotsSent++;
    const rng = this.sim.rng;
    if (this.cut.has(`${m.from}>${m.to}`)) return this.snapshotLost(m);
    if (this.loss > 0 && rng.chance(this.loss)) return this.snapshotLost(m);
    const copies = this.dup > 0 && rng.chance(this.dup) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.sim.sched.after(rng.int(this.minDelay, this.maxDelay) + (i > 0 ? rng.int(0, 50) : 0), () => {
        const to = this.sim.hosts.get(m.to);
        if (this.cut.has(`${m.from}>${m.to}`) || !to?.alive) return i === 0 ? this.snapshotLost(m) : undefined;
        to.receive(JSON.parse(json) as Message);
        if (i === 0 && m.type === 'snap') this.awaitInstall(m, to);
      });
    }
  }

  /** Snapshot requests delivered but not yet answered: the receiver is still installing them. */
  private readonly installing = new Set<{ m: Extract<Message, { type: 'snap' }>; to: SimMember }>();

  /**
   * The production link answers a snapshot request once the receiver has installed it; a receiver
   * that crashes before that breaks the stream, and the sender is told the snapshot was lost.
   */
  private awaitInstall(m: Extract<Message, { type: 'snap' }>, to: SimMember): void {
    const wait = to.snapshotInstalled?.(m.snapshot.meta.index);
    if (!wait) return;
    const entry = { m, to };
    this.installing.add(entry);
    this.sim.track(
      wait,
      to,
      () => void this.installing.delete(entry),
      () => void this.installing.delete(entry),
    );
  }

  /** `id` crashed: its unanswered snapshot requests fail at their senders. */
  receiverCrashed(id: NodeId): void {
    for (const entry of [...this.installing]) {
      if (entry.to.id !== id) continue;
      this.installing.delete(entry);
      this.snapshotLost(entry.m);
    }
  }

  /**
   * A snapshot whose image stayed in the sender's storage: read it first, as RaftLink does
   * (docs/raft.md "Snapshot transfer"); one that cannot be read (a newer snapshot replaced it, the
   * disk crashed) is reported lost, and an image-less snapshot never travels.
   */
  private sendStoredImage(m: Extract<Message, { type: 'snap' }>): void {
    const from = this.sim.hosts.get(m.from);
    const read = from?.snapshotImage?.(m.snapshot.meta.index);
    if (!from || !read) return this.snapshotLost(m);
    this.sim.track(
      read,
      from,
      (bytes) => this.send({ ...m, snapshot: { meta: m.snapshot.meta, data: bytes.toString('utf8') } }),
      () => this.snapshotLost(m),
    );
  }

  /**
   * The production link sends a snapshot as a request and reports a failed one to the core (a
   * broken stream, a keepalive timeout: docs/raft.md "Snapshot transfer"); other messages are lost
   * silently. The sender hears of it a little later.
   */
  private snapshotLost(m: Message): void {
    if (m.type !== 'snap') return;
    const inc = this.sim.hosts.get(m.from)?.incarnation;
    this.sim.sched.after(this.sim.rng.int(this.minDelay, 5 * this.maxDelay), () => {
      const from = this.sim.hosts.get(m.from);
      if (from && from.incarnation === inc) from.reportSnapshot(m.to);
    });
  }
}

export class RaftSim {
  readonly rng: Rng;
  readonly sched = new SimScheduler(0);
  readonly checker = new Checker();
  readonly net: RaftNet;
  readonly hosts = new Map<NodeId, SimMember>();
  /** Current member ids (a replaced member's id is swapped for its successor's). */
  readonly ids: NodeId[];
  readonly history: RegOp[] = [];
  readonly compactEvery: number;
  readonly stats: RaftSimResult['stats'] = {
    events: 0,
    messages: 0,
    writesAcked: 0,
    writesUnknown: 0,
    reads: 0,
    crashes: 0,
    partitions: 0,
    snapshotsSent: 0,
    compactions: 0,
    leaders: 0,
    maxTerm: 0,
    linExplored: 0,
    transfers: 0,
    confChanges: 0,
    leaderAfterHealMs: -1,
    tornTails: 0,
    tornBytes: 0,
    writeCrashes: 0,
    diskLosses: 0,
    refusedStarts: 0,
    replacements: 0,
    wipes: 0,
    blips: 0,
  };
  private readonly writeWaiters = new Map<string, () => void>();
  /**
   * SIM_TRACE=1 (or a number: from that simulated ms on): prints, per event, role and term
   * changes, votes granted (voter and candidate logs), crashes, restarts, wipes, replacements, torn
   * tails and commits to stderr. Off by default; it changes no random draw, so a traced run is the
   * same run.
   */
  readonly traceFrom: number | null = traceFromEnv();
  private readonly traced = new Map<NodeId, string>();
  /** `candidate/term/kind` → the (index, logTerm) it asked with, for the grant lines. */
  private readonly voteAsks = new Map<string, string>();
  readonly ackedIds = new Set<string>();
  private clientsRunning = true;
  private opSeq = 0;

  /** Per-seed core settings, so the seeds also cover flow-control and feature combinations. */
  readonly nodeConfig: Pick<RaftConfig, 'heartbeatTick' | 'maxInflight' | 'maxEntriesPerMsg' | 'preVote' | 'checkQuorum'>;

  constructor(readonly opts: RaftSimOptions) {
    this.rng = new Rng(opts.seed);
    this.compactEvery = this.rng.int(8, 30);
    const preVote = this.rng.chance(0.85);
    this.nodeConfig = {
      heartbeatTick: this.rng.pick([1, 2, 3]),
      maxInflight: this.rng.pick([1, 2, 4, 64]),
      maxEntriesPerMsg: this.rng.pick([1, 3, 8, 64]),
      preVote,
      // With neither pre-vote nor check-quorum (leader lease) a removed server that never learned
      // of its removal disrupts the cluster forever with ever higher terms (thesis §4.2.3): that
      // combination is not live, so the simulator does not use it.
      checkQuorum: preVote ? this.rng.chance(0.85) : true,
    };
    this.ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
    this.net = new RaftNet(this);
    // Durable mode: hosts are created by runAsync() once their storage is open.
    this.segmentBytes = opts.durable ? this.rng.pick([300, 4096, 32768]) : 0;
    // Log preallocation (zeros kept past the last record) on two of the three segment sizes,
    // derived from the draw above so that every seed's schedule stays what it was.
    this.preallocBytes = this.segmentBytes === 4096 ? 512 : this.segmentBytes === 32768 ? 8192 : 0;
    if (!opts.durable) {
      for (const id of this.ids) {
        this.hosts.set(id, new Host(id, memoryStore(new MemoryRaftStorage({ voters: [...this.ids], learners: [] })), this));
      }
    }
    let n = 0;
    this.sched.afterEvent = () => {
      if (this.traceFrom !== null) this.traceStates();
      for (const h of this.hosts.values()) {
        if (h.alive && h.node.role === 'leader') this.checker.sawLeader(h.node, this.sched.now);
      }
      if (++n % 25 === 0) this.checkLogs();
      // A run takes ~10k events; a message loop that never lets simulated time advance would hang the test instead of failing it.
      if (n > MAX_EVENTS) this.checker.fail(`liveness: more than ${MAX_EVENTS} events by t=${this.sched.now} (a message storm)`);
    };
  }

  // ---- trace (SIM_TRACE) ---------------------------------------------------------------------

  /** One trace line (SIM_TRACE), stamped with simulated time. */
  trace(line: string): void {
    if (this.traceFrom === null || this.sched.now < this.traceFrom) return;
    process.stderr.write(`[t=${this.sched.now}] ${line}\n`);
  }

  /** `who`'s log in one word: [first..last@lastTerm c=commit a=applied] (and its configuration). */
  logOf(id: NodeId): string {
    const h = this.hosts.get(id);
    if (!h) return `${id}:?`;
    const l = h.node.log;
    const c = h.node.confState();
    return `${id}[${l.firstIndex()}..${l.lastIndex()}@${l.lastTerm()} c=${l.committed} a=${l.applied} v=${c.voters.join(',')}${c.learners.length ? ` l=${c.learners.join(',')}` : ''}]`;
  }

  /** Who holds `index`, and with which term. */
  holders(index: number): string {
    return [...this.hosts.values()]
      .filter((h) => !h.retired)
      .map((h) => `${h.id}${h.alive ? '' : '(down)'}:${h.node.log.term(index) ?? '-'}`)
      .join(' ');
  }

  private traceStates(): void {
    for (const h of this.hosts.values()) {
      if (!h.alive) continue;
      const n = h.node;
      const key = `${n.role}/${n.term}/${n.lead}/${n.log.committed}`;
      const prev = this.traced.get(h.id);
      if (prev === key) continue;
      this.traced.set(h.id, key);
      const [role, term, lead, commit] = (prev ?? '///').split('/');
      if (role !== n.role || term !== String(n.term) || lead !== n.lead) {
        this.trace(`${h.id} ${n.role} term ${n.term} lead '${n.lead}' vote '${n.vote}' ${this.logOf(h.id)}`);
        if (n.role === 'leader' && role !== 'leader') this.trace(`  leader ${h.id} term ${n.term}: index ${this.checker.maxApplied} (max applied) held by ${this.holders(this.checker.maxApplied)}`);
      }
      if (commit !== String(n.log.committed) && n.role === 'leader') this.trace(`${h.id} (leader, term ${n.term}) commits ${commit}→${n.log.committed}; ${n.log.committed} held by ${this.holders(n.log.committed)}`);
    }
  }

  /** Vote traffic for the trace: requests remembered, grants printed with both logs. */
  traceMessage(m: Message): void {
    if (this.traceFrom === null) return;
    if (m.type === 'vote' || m.type === 'preVote') this.voteAsks.set(`${m.from}/${m.term}/${m.type}`, `${m.index}@${m.logTerm}${m.transfer ? ' transfer' : ''}`);
    else if ((m.type === 'voteResp' || m.type === 'preVoteResp') && !m.reject) {
      const ask = this.voteAsks.get(`${m.to}/${m.term}/${m.type === 'voteResp' ? 'vote' : 'preVote'}`) ?? '?';
      this.trace(`${m.from} grants ${m.type === 'voteResp' ? 'vote' : 'pre-vote'} for term ${m.term} to ${m.to} (asked with ${ask}); voter ${this.logOf(m.from)}`);
    } else if (m.type === 'appResp' && m.lost === true) this.trace(`${m.from} tells ${m.to} (term ${m.term}) its log is lost: ends at ${m.hint}`);
    else if (m.type === 'snap') this.trace(`${m.from} sends snapshot ${m.snapshot.meta.index}@${m.snapshot.meta.term} to ${m.to}`);
  }

  // ---- durable mode: promise-based storage on simulated disks ----------------------------------

  readonly segmentBytes: number;
  readonly preallocBytes: number;
  /** Set when a storage promise was created or a disk timer fired: microtasks must run before the next event. */
  private asyncDirty = false;
  /** A violation or exception raised inside a storage continuation, rethrown by the run loop. */
  private asyncError: unknown = null;

  /** Opens a member's storage; a brand-new store starts with the initial members (or `initialVoters`: none for a joining member). */
  openStorage(disk: SimDisk, initialVoters: NodeId[] = this.ids): Promise<DurableRaftStorage> {
    // The production host's storage is opened as production opens it: a leader's snapshots leave the
    // core without their image, which the network reads from the sender's storage (RaftNet.send).
    return DurableRaftStorage.open('/raft', {
      fs: disk,
      initialConf: { voters: [...initialVoters], learners: [] },
      segmentBytes: this.segmentBytes,
      preallocateBytes: this.preallocBytes,
      lazySnapshotImages: this.opts.production === true,
    });
  }

  /** Durable mode, during the fault phase: should this write be hit by a crash? */
  crashMidWrite(): boolean {
    return this.opts.durable && this.sched.now < this.opts.chaosMs && this.rng.chance(this.opts.crashMidWriteRate ?? 0.004);
  }

  /** Runs `then` when `p` resolves, unless the host restarted meanwhile; a rejection is a violation. */
  asyncWork<T>(p: Promise<T>, host: SimMember, then: (v: T) => void): void {
    this.track(p, host, then, (e) => this.checker.fail(`storage: ${host.id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  }

  /** Like asyncWork, with the caller's own rejection handler (also dropped if the host restarted meanwhile). */
  track<T>(p: Promise<T>, host: SimMember | null, then: (v: T) => void, onError: (e: unknown) => void): void {
    this.asyncDirty = true;
    const inc = host?.incarnation;
    const guard = (fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        this.asyncError ??= e;
      }
    };
    p.then(
      (v) => {
        if (host?.incarnation === inc) guard(() => then(v));
      },
      (e: unknown) => {
        if (host?.incarnation === inc) guard(() => onError(e));
      },
    );
  }

  /** A member's simulated disk: its fsync timers die with the member's current incarnation. */
  newDisk(id: NodeId): SimDisk {
    return new SimDisk(this.rng.fork(), (ms, fn) => {
      this.sched.after(
        ms,
        () => {
          this.asyncDirty = true;
          fn();
        },
        this.hosts.get(id)?.group ?? null,
      );
    }, 3, this.opts.lyingDisk === true);
  }

  /** Lets every pending storage continuation run (they only wait on microtasks or simulated timers). */
  private async settle(): Promise<void> {
    for (let i = 0; this.asyncDirty && i < 10; i++) {
      this.asyncDirty = false;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (this.asyncError) throw this.asyncError;
  }

  private async createDurableHosts(): Promise<void> {
    const pending = new Map<NodeId, { disk: SimDisk; storage: DurableRaftStorage | null }>();
    for (const id of this.ids) {
      const disk = this.newDisk(id);
      const slot: { disk: SimDisk; storage: DurableRaftStorage | null } = { disk, storage: null };
      pending.set(id, slot);
      this.asyncDirty = true;
      void this.openStorage(disk).then((st) => void (slot.storage = st));
    }
    for (let i = 0; i < 100 && [...pending.values()].some((p) => !p.storage); i++) await this.sched.runUntilAsync(this.sched.now + 1, () => this.settle());
    for (const [id, p] of pending) {
      if (!p.storage) throw new Error(`durable sim: storage of ${id} did not open`);
      this.hosts.set(id, this.opts.production ? new ProdHost(id, p.disk, this, p.storage) : new Host(id, durableStore(p.storage), this, p.disk));
    }
  }

  checkLogs(): void {
    const live = [...this.hosts.values()].filter((h) => h.alive);
    for (let i = 0; i < live.length; i++) for (let j = i + 1; j < live.length; j++) this.checker.logMatching(live[i]!.node, live[j]!.node);
  }

  writeApplied(id: string): void {
    const w = this.writeWaiters.get(id);
    if (w) {
      this.writeWaiters.delete(id);
      w();
    }
  }

  // ---- clients -------------------------------------------------------------------------------

  /** A member to send a client request to (undefined: a new member whose storage is still opening). */
  private pickTarget(hint: NodeId): SimMember | undefined {
    if (hint && this.rng.chance(0.9)) {
      const h = this.hosts.get(hint);
      if (h) return h;
    }
    return this.hosts.get(this.rng.pick(this.ids));
  }

  private startClient(c: number): void {
    let leaderHint: NodeId = '';
    const next = (): void => {
      if (!this.clientsRunning) return;
      this.sched.after(this.rng.int(1, 30), () => {
        if (!this.clientsRunning) return;
        const key = `k${this.rng.int(1, this.opts.keys)}`;
        if (this.rng.chance(0.5)) write(key);
        else read(key);
      });
    };
    const write = (key: string): void => {
      const id = `c${c}-${++this.opSeq}`;
      const op: RegOp = { kind: 'w', key, value: id, call: this.sched.now, ret: Infinity, client: c };
      this.history.push(op);
      const data = JSON.stringify({ id, key, value: id } satisfies WriteCmd);
      let finished = false;
      const finish = (acked: boolean): void => {
        if (finished) return;
        finished = true;
        this.writeWaiters.delete(id);
        if (acked) {
          op.ret = this.sched.now;
          this.ackedIds.add(id);
          this.stats.writesAcked++;
        } else this.stats.writesUnknown++;
        next();
      };
      this.writeWaiters.set(id, () => finish(true));
      const deadline = this.sched.now + 1000;
      const attempt = (): void => {
        if (finished) return;
        if (this.sched.now >= deadline) return finish(false);
        const h = this.pickTarget(leaderHint);
        if (h?.alive) {
          const r = h.clientWrite(id, data);
          if (r.ok) leaderHint = h.id;
          else leaderHint = r.leader;
          // Retry (same id, deduplicated by the state machine) if no answer soon.
          this.sched.after(r.ok ? 200 : this.rng.int(5, 30), attempt);
        } else this.sched.after(this.rng.int(5, 30), attempt);
      };
      attempt();
    };
    const read = (key: string): void => {
      const ctx = `r${c}-${++this.opSeq}`;
      const call = this.sched.now;
      const deadline = call + 1000;
      let finished = false;
      const attempt = (): void => {
        if (finished) return;
        if (this.sched.now >= deadline) {
          finished = true; // never answered: not part of the history
          return next();
        }
        const h = this.pickTarget(leaderHint);
        if (!h?.alive) return void this.sched.after(this.rng.int(5, 30), attempt);
        if (this.opts.localReads) {
          finished = true;
          this.history.push({ kind: 'r', key, value: h.readValue(key), call, ret: this.sched.now, client: c });
          this.stats.reads++;
          return next();
        }
        const r = h.clientRead(ctx, key, (value) => {
          if (finished) return;
          finished = true;
          this.history.push({ kind: 'r', key, value, call, ret: this.sched.now, client: c });
          this.stats.reads++;
          next();
        });
        if (!r.ok) {
          leaderHint = r.leader;
          return void this.sched.after(this.rng.int(5, 30), attempt);
        }
        leaderHint = h.id;
        this.sched.after(200, attempt); // lost heartbeats / deposed leader: ask again
      };
      attempt();
    };
    next();
  }

  // ---- faults --------------------------------------------------------------------------------

  private crashed(): SimMember[] {
    return [...this.hosts.values()].filter((h) => !h.alive && !h.starting && !h.retired);
  }

  /** A member crashed: with `leaderLostReports`, the others' transports notice 1–5 ms later. */
  memberCrashed(id: NodeId): void {
    this.net.receiverCrashed(id);
    if (!this.opts.leaderLostReports) return;
    for (const h of this.hosts.values()) {
      if (h.id === id || !h.alive) continue;
      this.sched.after(this.rng.int(1, 5), () => h.reportUnreachable(id));
    }
  }

  private fault(): void {
    if (this.opts.leaderLostReports && this.rng.chance(1 / 3)) {
      // A connection blip: a live member's stream to its (live) leader breaks.
      const followers = [...this.hosts.values()].filter((h) => h.alive && h.node.role === 'follower' && h.node.lead !== '');
      if (followers.length > 0) {
        const f = this.rng.pick(followers);
        f.reportUnreachable(f.node.lead);
        this.stats.blips++;
      }
    }
    if (this.opts.production && this.rng.chance(0.05)) return this.diskFault();
    const r = this.rng.next();
    const live = [...this.hosts.values()].filter((h) => h.alive);
    if (r < 0.2) {
      // symmetric partition into two random sides
      this.net.healAll();
      const side = new Set(this.ids.filter(() => this.rng.chance(0.5)));
      for (const a of this.ids) for (const b of this.ids) if (side.has(a) !== side.has(b)) this.net.setCut(a, b, true);
      this.stats.partitions++;
    } else if (r < 0.3) {
      // one-way cut
      const a = this.rng.pick(this.ids);
      const b = this.rng.pick(this.ids);
      if (a !== b) this.net.setCut(a, b, true);
      this.stats.partitions++;
    } else if (r < 0.45) {
      this.net.healAll();
    } else if (r < 0.6) {
      if (live.length > 1) {
        // Prefer crashing the leader: that is where interesting states come from.
        const leader = live.find((h) => h.node.role === 'leader');
        const victim = leader && this.rng.chance(0.5) ? leader : this.rng.pick(live);
        victim.crash();
        this.stats.crashes++;
      }
    } else if (r < 0.75) {
      const dead = this.crashed();
      if (dead.length > 0) this.rng.pick(dead).restart();
    } else if (r < 0.8) {
      this.net.loss = this.rng.pick([0, 0, 0.05, 0.2]);
      this.net.dup = this.rng.pick([0, 0.05, 0.2]);
    } else if (r < 0.85) {
      this.net.maxDelay = this.rng.pick([5, 12, 40, 120]);
    } else if (r < 0.92) {
      const leader = live.find((h) => h.node.role === 'leader');
      if (leader) {
        const to = this.rng.pick(leader.node.confState().voters);
        if (leader.transferLeadership(to)) this.stats.transfers++;
      }
    } else {
      this.membershipChange(live);
    }
  }

  // ---- production host: disk loss, mid-log corruption, and the operator's replacement --------

  /** The member being replaced (old id removed from the group, then the new one added). */
  private replacement: { old: NodeId; new: NodeId } | null = null;

  /**
   * Loses one member's whole disk, or flips a byte in the middle of its log (it must then refuse to
   * start). Either way the member is replaced as an operator would (docs/raft.md "Faults"). At most
   * two per run, one at a time, and not in the last second of the fault phase (the replacement must
   * complete while the settle phase lasts).
   */
  private diskFault(): void {
    if (this.replacement || this.wipeRecovering() || this.stats.diskLosses + this.stats.refusedStarts + this.stats.wipes >= 2) return;
    // In the last second only wipes (a replacement needs operator steps): the group is then quiet
    // after healing, so a wiped member that waits for a new write to catch up is a liveness failure.
    const late = this.sched.now > this.opts.chaosMs - 1000;
    if ([...this.hosts.values()].some((h) => h.starting && !h.retired)) return;
    // Losing a voter for good must leave a majority of the voters: with two voters (or a pending
    // change that may leave two) it would lose the group, which no replacement can repair.
    const leader = [...this.hosts.values()].find((h) => h.alive && !h.retired && h.node.role === 'leader');
    if (!leader || leader.node.confState().voters.length < 3) return;
    const log = leader.node.log;
    if (log.slice(log.applied + 1, log.lastIndex() + 1).some((e) => e.type === 'conf')) return;
    const victim = this.hosts.get(this.rng.pick(this.ids));
    if (!(victim instanceof ProdHost) || victim.retired) return;
    // A follower's disk: the leader must notice on its own (a wiped leader is just replaced by an election).
    if (victim !== leader && (late || this.rng.chance(0.5))) return this.wipeSameId(victim);
    if (late) return;
    this.replacement = { old: victim.id, new: '' };
    if (victim.alive) {
      victim.crash();
      this.stats.crashes++;
    }
    if (this.rng.chance(0.5) && victim.corruptMidLog()) {
      victim.restart(); // refused (ProdHost.restart), then replaced
      return;
    }
    this.stats.diskLosses++;
    this.replaceMember(victim.id);
  }

  /** A member wiped under its id, until it holds the commit index the group had when it lost its disk. */
  private wiped: { host: ProdHost; target: number } | null = null;

  /** While a wiped member catches up it counts as a failed member: no other disk is lost meanwhile. */
  private wipeRecovering(): boolean {
    const w = this.wiped;
    // It holds a configuration once it applied a leader's term-start entry (docs/raft.md "Lost
    // disks"): no extra wait for it (seed 394514904 once needed one).
    if (w && (!w.host.alive || w.host.node.log.lastIndex() < w.target)) return true;
    this.wiped = null;
    return false;
  }

  /**
   * Whole-disk loss under the same id (docs/raft.md "Lost disks"): the member restarts 20–200 ms
   * later with an empty disk at the same address, in join mode (no configuration, what
   * docs/operations.md tells an operator; a plain restart that bootstraps the member list is the
   * admitted gap of "Lost disks", regression seed 200). No operator step follows: the
   * leader must notice the lost log and replicate it again.
   */
  private wipeSameId(victim: ProdHost): void {
    const target = Math.max(0, ...[...this.hosts.values()].filter((h) => h.alive).map((h) => h.node.log.committed));
    if (victim.alive) {
      victim.crash();
      this.stats.crashes++;
    }
    this.checker.diskLost(victim.id);
    victim.wipeDisk(true);
    this.trace(`WIPE ${victim.id} (same id, restarts in join mode); group commit was ${target}`);
    this.stats.wipes++;
    this.wiped = { host: victim, target };
    const down = victim.incarnation;
    this.sched.after(this.rng.int(20, 200), () => {
      if (!victim.alive && !victim.starting && victim.incarnation === down) victim.restart();
    });
  }

  /**
   * After the clients stopped and their last retries ended: half the seeds wipe a follower of a
   * quiet group (the seed-3001 scenario, docs/reliability.md finding 2). With no write left to
   * trigger a compaction or a rejection, the leader must notice the lost log on its own before
   * the settle period ends (~600 ms later).
   */
  private quietWipe(): void {
    if (this.replacement || this.wipeRecovering() || !this.rng.chance(0.5)) return;
    const leader = [...this.hosts.values()].find((h) => h.alive && !h.retired && h.node.role === 'leader');
    if (!leader || leader.node.confState().voters.length < 3) return;
    const log = leader.node.log;
    if (log.slice(log.applied + 1, log.lastIndex() + 1).some((e) => e.type === 'conf')) return;
    const victim = this.hosts.get(this.rng.pick(leader.node.confState().voters));
    if (victim instanceof ProdHost && victim !== leader && victim.alive) this.wipeSameId(victim);
  }

  /** The operator gives up on `old` (its disk is gone or refused to start) and brings up a member with an empty disk under a new id. */
  replaceMember(old: NodeId): void {
    this.trace(`REPLACE ${old} by ${old}b (empty disk, join mode)`);
    const h = this.hosts.get(old);
    if (h) h.retired = true;
    const id = `${old}b`;
    this.replacement = { old, new: id };
    this.ids[this.ids.indexOf(old)] = id;
    const disk = this.newDisk(id);
    // The new member joins with no configuration: it is no voter (it cannot campaign) until the
    // group's log makes it one, and it learns the membership from the log or a snapshot. (Starting
    // it with the member list as voters let it win an election with one lagging voter before the
    // group had added it — found by this simulator, docs/raft.md "Faults".)
    this.track(
      this.openStorage(disk, []),
      null,
      (st) => void this.hosts.set(id, new ProdHost(id, disk, this, st)),
      (e) => this.checker.fail(`storage: new member ${id} did not open: ${String(e)}`),
    );
  }

  /** The operator's procedure, one step at a time through the leader: remove the old member, add the new one as a learner, then promote it. */
  private operatorStep(): void {
    const r = this.replacement;
    if (!r || r.new === '') return;
    const leader = [...this.hosts.values()].find((h) => h.alive && !h.retired && h.node.role === 'leader');
    if (!leader) return;
    const conf = leader.node.confState();
    const member = (id: NodeId): boolean => conf.voters.includes(id) || conf.learners.includes(id);
    this.trace(`operator step for ${r.old}→${r.new} through ${leader.id}`);
    if (member(r.old)) return void leader.proposeConfChange({ type: 'removeNode', node: r.old });
    if (!this.hosts.has(r.new)) return;
    if (!member(r.new)) return void leader.proposeConfChange({ type: 'addLearner', node: r.new });
    if (conf.learners.includes(r.new)) return void leader.proposeConfChange({ type: 'addVoter', node: r.new });
    this.replacement = null;
    this.stats.replacements++;
  }

  /** One single-server change through the current leader (it refuses while one is pending). */
  private membershipChange(live: SimMember[]): void {
    // An operator replacing a member makes no other membership change meanwhile; nor while a member
    // that lost its disk catches up (it counts as a failed member: removing another voter could
    // leave two voters, one of them empty and not voting — seed 394514970 of the production profile).
    if (this.replacement || this.wipeRecovering()) return;
    const leader = live.find((h) => h.node.role === 'leader');
    if (!leader) return;
    const conf = leader.node.confState();
    const members = new Set([...conf.voters, ...conf.learners]);
    const outside = this.ids.filter((id) => !members.has(id));
    const minVoters = this.opts.nodes >= 5 ? 3 : 2;
    const choices: MemberChange[] = [];
    if (conf.voters.length > minVoters) for (const v of conf.voters) choices.push({ type: 'removeNode', node: v });
    for (const l of conf.learners) choices.push({ type: 'addVoter', node: l }, { type: 'removeNode', node: l });
    for (const o of outside) choices.push({ type: 'addLearner', node: o });
    if (conf.voters.length > minVoters) for (const v of conf.voters) if (v !== leader.id) choices.push({ type: 'addLearner', node: v });
    if (choices.length === 0) return;
    const cc = this.rng.pick(choices);
    if (leader.proposeConfChange(cc)) this.stats.confChanges++;
  }

  /**
   * The scenario; yields each simulated time the scheduler must run to (synchronously in memory
   * mode, letting storage promises settle between events in durable mode).
   */
  private *scenario(): Generator<number, void, void> {
    const { opts } = this;
    for (let c = 0; c < opts.clients; c++) this.startClient(c);
    const faultAt = (t: number): void => {
      this.sched.at(t, () => {
        if (this.sched.now >= opts.chaosMs) return;
        this.fault();
        faultAt(this.sched.now + this.rng.int(opts.faultGapMs[0], opts.faultGapMs[1]));
      });
    };
    faultAt(this.rng.int(100, 400));
    if (opts.production) {
      const operator = (): void => {
        this.operatorStep();
        if (this.sched.now < opts.chaosMs + opts.settleMs) this.sched.after(50, operator);
      };
      this.sched.after(50, operator);
    }
    yield opts.chaosMs;
    // Heal everything and stop issuing new operations.
    this.net.healAll();
    this.net.loss = 0;
    this.net.dup = 0;
    this.net.maxDelay = 12;
    for (const h of this.crashed()) h.restart();
    // Outstanding client ops finish or time out; meanwhile measure how long after healing a
    // leader is followed by every member.
    let t = opts.chaosMs;
    this.stats.leaderAfterHealMs = -1;
    while (t < opts.chaosMs + opts.settleMs) {
      t += 10;
      if (t === opts.chaosMs + 1100) this.clientsRunning = false;
      if (opts.production && t === opts.chaosMs + 2150) this.quietWipe();
      yield t;
      if (this.stats.leaderAfterHealMs < 0 && this.stableLeader()) this.stats.leaderAfterHealMs = t - opts.chaosMs;
    }
    this.checkLogs();
    this.checkQuiescence();
    const lin = checkLinearizable(this.history);
    this.stats.linExplored = lin.explored;
    if (!lin.ok) {
      const ops = lin.ops.map((o) => `${o.kind}(${o.value ?? 'null'})@[${o.call},${o.ret}]c${o.client}`).join(' ');
      this.checker.violations.push(`linearizability: history of ${lin.key} is not linearizable: ${ops}`);
    }
  }

  run(): RaftSimResult {
    if (this.opts.durable) throw new Error('durable mode needs runAsync()');
    try {
      for (const t of this.scenario()) this.sched.runUntil(t);
    } catch (e) {
      this.recordException(e);
    }
    return this.result();
  }

  async runAsync(): Promise<RaftSimResult> {
    try {
      if (this.opts.durable) await this.createDurableHosts();
      for (const t of this.scenario()) await this.sched.runUntilAsync(t, () => this.settle());
    } catch (e) {
      this.recordException(e);
    }
    return this.result();
  }

  private recordException(e: unknown): void {
    if (!(e instanceof SafetyViolation)) {
      this.checker.violations.push(`exception at t=${this.sched.now}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }

  private result(): RaftSimResult {
    this.stats.events = this.sched.executed;
    this.stats.leaders = this.checker.leaders.size;
    this.stats.maxTerm = Math.max(0, ...this.checker.leaders.keys());
    return { seed: this.opts.seed, violations: this.checker.violations, stats: this.stats };
  }

  /** Exactly one leader, followed by every member of its configuration. */
  private stableLeader(): boolean {
    const leaders = [...this.hosts.values()].filter((h) => h.alive && !h.retired && h.node.role === 'leader');
    if (leaders.length !== 1) return false;
    const conf = leaders[0]!.node.confState();
    return [...conf.voters, ...conf.learners].every((id) => this.hosts.get(id)?.node.lead === leaders[0]!.id);
  }

  /** Liveness after healing: one leader, every node applied everything, acked writes everywhere. */
  private checkQuiescence(): void {
    const hosts = [...this.hosts.values()].filter((h) => !h.retired);
    if (this.stats.leaderAfterHealMs < 0) this.checker.violations.push(`liveness: no leader followed by every member within ${this.opts.settleMs} ms of healing`);
    const leaders = hosts.filter((h) => h.node.role === 'leader');
    if (leaders.length !== 1) return void this.checker.violations.push(`liveness: ${leaders.length} leaders after settling`);
    const leader = leaders[0]!;
    const commit = leader.node.log.committed;
    if (commit !== leader.node.log.lastIndex()) this.checker.violations.push(`liveness: leader commit ${commit} < last ${leader.node.log.lastIndex()}`);
    const ref = JSON.stringify(leader.kv);
    const conf = leader.node.confState();
    const members = new Set([...conf.voters, ...conf.learners]);
    for (const h of hosts) {
      // Removed nodes may never learn they were removed; only members must converge.
      if (!members.has(h.id)) continue;
      if (h.node.lead !== leader.id) this.checker.violations.push(`liveness: ${h.id} follows '${h.node.lead}', leader is ${leader.id}`);
      if (h.appliedIndex !== commit) this.checker.violations.push(`liveness: ${h.id} applied ${h.appliedIndex}, leader committed ${commit}`);
      if (JSON.stringify(h.kv) !== ref) this.checker.violations.push(`convergence: ${h.id} state differs from leader`);
      for (const id of this.ackedIds) {
        if (!h.appliedIds.has(id)) this.checker.violations.push(`durability: acked write ${id} not applied on ${h.id}`);
      }
      if (h.appliedIds.size !== h.appliedWrites) this.checker.violations.push(`exactly-once: ${h.id} applied an op twice`);
    }
  }
}

export function runRaftSim(opts: RaftSimOptions): RaftSimResult {
  return new RaftSim(opts).run();
}

/** Either mode; durable mode (DurableRaftStorage on simulated disks) needs this one. */
export function runRaftSimAsync(opts: RaftSimOptions): Promise<RaftSimResult> {
  return new RaftSim(opts).runAsync();
}

/**
 * The production host loop around the I/O-free RaftNode (docs/raft.md "Host loop contract"):
 * ticks from an injected clock, persists each Ready through a RaftLogStore (asynchronously, one
 * batch at a time — proposals and messages arriving meanwhile are batched into the next Ready:
 * group commit), sends messages only after their Ready is durable, applies committed entries to
 * the state machine in order, and compacts the log from time to time.
 */
import { nextTurn, type Clock, type TimerHandle } from '../core/clock.js';
import { imageChars, type RaftLogStore, type SnapshotImage } from './log-store.js';
import { RaftNode, type ProposeResult } from './node.js';
import { sameHardState, type ConfChange, type ConfState, type MemberChange, type Entry, type HardState, type Message, type NodeId, type Ready, type Role } from './types.js';

export interface RaftStateMachine {
  /** Applies one committed normal entry (never the leader's '' no-op). */
  apply(entry: Entry): void;
  /** The whole state as a string (the snapshot image). */
  snapshot(): string;
  /**
   * Optional: the image `snapshot()` would return at the moment of the call, built across
   * event-loop turns so that a large state does not block the loop (docs/raft.md "Compaction under
   * load"). The state is captured synchronously, within the call; between slices the machine
   * awaits `yieldTurn()`, and stops (rejects) when that rejects. The host compacts with it when
   * present. It may resolve to slices whose concatenation is the image: the storage writes them
   * as they are (no join into one string, docs/raft.md "Compaction under load").
   */
  snapshotSliced?(yieldTurn: () => Promise<void>): Promise<SnapshotImage>;
  /** Replaces the whole state with a snapshot image. */
  restore(data: string): void;
}

export interface RaftHostLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
  debug(o: object, m: string): void;
}

export interface RaftHostOptions {
  id: NodeId;
  storage: RaftLogStore;
  clock: Clock;
  sm: RaftStateMachine;
  /** Sends the messages of one Ready (already durable); delivery may fail silently. */
  send(messages: Message[]): void;
  log: RaftHostLog;
  tickMs: number;
  electionTick: number;
  heartbeatTick: number;
  random: () => number;
  /** Compact after this many applied entries past the last snapshot. */
  snapshotEntries: number;
  /** Also compact this often (ms) when anything was applied since the last snapshot. */
  snapshotIntervalMs: number;
  /** A snapshot sent to a follower that neither installed it nor was reported lost is sent again after this long (ms; default 60 s, docs/raft.md "Snapshot transfer"). */
  snapshotResendMs?: number;
  /**
   * The entry count alone is not enough once the state is large: compact only when the entries
   * applied since the last snapshot also hold at least this share of that snapshot's image size
   * (characters), so a compaction's cost, which grows with the state, stays a bounded multiple of
   * the bytes written since (docs/raft.md "Compaction under load"). Default 0 (the count alone).
   */
  snapshotLogRatio?: number;
  /** Called after a committed conf change is applied. */
  onConfChange?: (conf: ConfState) => void;
  /** A compaction's snapshot is durable; `imageChars` is the length of the image it wrote. */
  onCompacted?: (index: number, imageChars: number) => void;
  /**
   * Lets the event loop run between two slices of a sliced snapshot image
   * (`RaftStateMachine.snapshotSliced`). Default: the next `setImmediate` turn.
   */
  yieldTurn?: () => Promise<void>;
}

/** Why a sliced snapshot image was abandoned: the host stopped or failed while it was built. */
class CompactionAbandoned extends Error {}

export interface RaftStatus {
  id: NodeId;
  role: Role;
  term: number;
  leader: NodeId;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  conf: ConfState;
  /** Leader only: match index per member. */
  progress: Record<string, number>;
}

export class RaftTimeoutError extends Error {}

interface Waiter {
  index: number;
  term: number | null;
  resolve(): void;
  reject(e: Error): void;
  timer: TimerHandle;
}

/** Monotonic counters of the host loop (the batching it achieved: entries per sync, messages per Ready). */
export interface RaftHostCounters {
  /** Readies processed. */
  readies: number;
  /** Readies written with an fsync (mustSync). */
  syncs: number;
  /** Log entries written by those syncs. */
  syncedEntries: number;
  /** Messages handed to `send`. */
  messagesOut: number;
}

export class RaftHost {
  readonly node: RaftNode;
  readonly counters: RaftHostCounters = { readies: 0, syncs: 0, syncedEntries: 0, messagesOut: 0 };
  private ticker: TimerHandle | null = null;
  private snapTimer: TimerHandle | null = null;
  private running = false;
  private processing = false;
  private stopped = false;
  private waiters: Waiter[] = [];
  private snapshotIndex: number;
  private lastSnapshotAt: number;
  private compacting = false;
  /** Snapshots installed from the leader so far (a compaction captured before one is stale). */
  private installs = 0;
  /** Characters of entry data applied since the last compaction, and the size of that compaction's image. */
  private appliedChars = 0;
  private lastImageChars = 0;
  private readonly idleResolvers: (() => void)[] = [];
  /** Waiting for the next change of role or known leader (see leaderChange). */
  private leaderWaiters: (() => void)[] = [];
  /** The newest hard state from the core, and the newest one written to storage. */
  private latestHard: HardState;
  private persistedHard: HardState;
  private flushTimer: TimerHandle | null = null;
  /** Last entry applied to the state machine (may run ahead of the core's `applied` within a Ready). */
  private appliedIdx = 0;
  /** Fatal persistence failure: the host stops taking part (a disk that fails must not ack). */
  private failed: Error | null = null;

  constructor(
    private readonly o: RaftHostOptions,
    /** Index already applied to the state machine by the caller (replayed at open). */
    appliedIndex: number,
  ) {
    this.node = new RaftNode({
      id: o.id,
      storage: o.storage,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      random: o.random,
      preVote: true,
      checkQuorum: true,
      snapshotResendTicks: Math.max(1, Math.ceil((o.snapshotResendMs ?? 60_000) / o.tickMs)),
    });
    if (appliedIndex > this.node.log.applied) this.node.log.appliedTo(Math.min(appliedIndex, this.node.log.committed));
    this.appliedIdx = this.node.log.applied;
    this.snapshotIndex = o.storage.firstIndex() - 1; // the snapshot's index, without reading its image
    this.latestHard = o.storage.initialState().hardState;
    this.persistedHard = this.latestHard;
    this.lastSnapshotAt = o.clock.monotonic();
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.ticker = this.o.clock.setInterval(() => {
      this.node.tick();
      this.kick();
    }, this.o.tickMs);
    this.snapTimer = this.o.clock.setInterval(() => this.maybeCompact(true), Math.max(1000, Math.min(this.o.snapshotIntervalMs, 60_000)));
    // Commit-index-only changes are written lazily: at most this late (bounds replay work at restart).
    this.flushTimer = this.o.clock.setInterval(() => void this.flushHardState(), 1000);
    // A single-voter group elects itself at once instead of waiting an election timeout.
    const conf = this.node.confState();
    if (conf.voters.length === 1 && conf.voters[0] === this.o.id) {
      for (let i = 0; i < 2 * this.o.electionTick && this.node.role !== 'leader'; i++) this.node.tick();
    }
    this.kick();
  }

  /** Inbound messages from peers (validated by the caller). */
  receive(msgs: readonly Message[]): void {
    if (this.stopped || this.failed) return;
    for (const m of msgs) {
      if (m.to !== this.o.id) continue;
      this.node.step(m);
    }
    this.kick();
  }

  /** The transport lost its connection to `peer` (docs/raft.md "Leader lost"). */
  reportUnreachable(peer: NodeId): void {
    if (this.stopped || this.failed) return;
    this.node.reportUnreachable(peer);
    this.kick();
  }

  /** The snapshot sent to `peer` was not delivered (docs/raft.md "Snapshot transfer"). */
  reportSnapshot(peer: NodeId, status: 'failed'): void {
    if (this.stopped || this.failed) return;
    this.node.reportSnapshot(peer, status);
    this.kick();
  }

  propose(data: string): ProposeResult {
    if (this.failed) return { ok: false, reason: 'removed', leader: '' };
    const r = this.node.propose(data);
    if (r.ok) this.kick();
    return r;
  }

  /**
   * Proposes several entries in one go: they are appended before the loop runs, so they share one
   * Ready (one write, one append per follower) instead of the first going alone (docs/raft.md
   * "Forwarded writes"). One result per entry, in order.
   */
  proposeBatch(data: readonly string[]): ProposeResult[] {
    if (this.failed) return data.map(() => ({ ok: false, reason: 'removed', leader: '' }));
    const out = data.map((d) => this.node.propose(d));
    if (out.some((r) => r.ok)) this.kick();
    return out;
  }

  proposeConfChange(cc: MemberChange): ProposeResult {
    const r = this.node.proposeConfChange(cc);
    if (r.ok) this.kick();
    return r;
  }

  /**
   * Resolves once the entry (index, term) is applied here; rejects if another entry took that
   * index (the proposal was lost in a leader change) or after `timeoutMs`. term null: any entry.
   */
  waitApplied(index: number, term: number | null, timeoutMs: number): Promise<void> {
    if (this.appliedIdx >= index && term === null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        index,
        term,
        resolve,
        reject,
        timer: this.o.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new RaftTimeoutError(`raft: entry ${index} not applied within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      if (this.appliedIdx >= index) {
        // Already applied: check the term from the log if still there.
        this.settleApplied(w);
        return;
      }
      this.waiters.push(w);
    });
  }

  private settleApplied(w: Waiter): void {
    w.timer.cancel();
    if (w.term === null) return w.resolve();
    let t: number | undefined;
    try {
      t = this.node.log.term(w.index);
    } catch {
      t = undefined;
    }
    if (t === w.term) w.resolve();
    // Compacted away before we looked: never claim success we cannot prove.
    else if (t === undefined) w.reject(new Error(`raft: outcome of the proposal at ${w.index} is unknown (log compacted)`));
    else w.reject(new Error(`raft: proposal at ${w.index} was superseded (leader changed)`));
  }

  /**
   * Resolves at the next change of this member's role or known leader (when the core reports it,
   * in the next Ready), or after `timeoutMs`, whichever is first (also once stopped: a caller
   * looping on it must not spin). Writes waiting for a leader wake on it instead of polling
   * (docs/raft.md "Write path and errors").
   */
  leaderChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        timer.cancel();
        resolve();
      };
      // On the timeout only this waiter leaves the list; a change wakes them all (and empties it).
      const timer = this.o.clock.setTimeout(() => {
        this.leaderWaiters = this.leaderWaiters.filter((w) => w !== wake);
        resolve();
      }, timeoutMs);
      this.leaderWaiters.push(wake);
    });
  }

  transferLeadership(to: NodeId): boolean {
    const ok = this.node.transferLeadership(to);
    this.kick();
    return ok;
  }

  status(): RaftStatus {
    const n = this.node;
    const progress: Record<string, number> = {};
    for (const [id, p] of n.progress) progress[id] = p.match;
    return {
      id: this.o.id,
      role: n.role,
      term: n.term,
      leader: n.lead,
      commitIndex: n.log.committed,
      appliedIndex: n.log.applied,
      lastIndex: n.log.lastIndex(),
      snapshotIndex: this.snapshotIndex,
      conf: n.confState(),
      progress,
    };
  }

  get failure(): Error | null {
    return this.failed;
  }

  /** Resolves when no Ready is being processed (tests and shutdown). */
  idle(): Promise<void> {
    if (!this.processing) return Promise.resolve();
    return new Promise((r) => this.idleResolvers.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ticker?.cancel();
    this.snapTimer?.cancel();
    this.flushTimer?.cancel();
    await this.idle();
    await this.flushHardState(true);
    for (const w of this.waiters) {
      w.timer.cancel();
      w.reject(new Error('raft: member is shutting down'));
    }
    this.waiters = [];
    this.wakeLeaderWaiters();
  }

  private wakeLeaderWaiters(): void {
    const waiting = this.leaderWaiters;
    this.leaderWaiters = [];
    for (const wake of waiting) wake();
  }

  private hardDirty(): boolean {
    return !sameHardState(this.latestHard, this.persistedHard);
  }

  /** Writes a pending commit-only hard state (not while a Ready is being processed). */
  private async flushHardState(evenIfStopped = false): Promise<void> {
    if (this.processing || this.failed || (this.stopped && !evenIfStopped) || !this.hardDirty()) return;
    const hard = this.latestHard;
    this.processing = true;
    try {
      await this.o.storage.persist({ entries: [], hardState: hard });
      this.persistedHard = hard;
    } catch (e) {
      this.o.log.warn({ err: e }, 'raft: writing the hard state failed');
    } finally {
      this.processing = false;
      for (const r of this.idleResolvers.splice(0)) r();
    }
    if (!this.stopped) this.kick();
  }

  /** Schedules Ready processing (coalesced). */
  private kick(): void {
    if (this.stopped || this.failed) return;
    // A Ready being processed: the loop takes whatever is ready next before it ends.
    if (this.processing || !this.node.hasReady()) return;
    this.processing = true;
    // Fire-and-forget: loop() catches a storage failure itself (the host then stops taking part).
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped && this.node.hasReady()) {
        const rd = this.node.ready();
        this.counters.readies++;
        // The node already acts in its new role (a new leader takes proposals, a follower forwards
        // to its new leader): waiting writes need not wait for this Ready's write.
        if (rd.softState) this.wakeLeaderWaiters();
        this.counters.messagesOut += rd.messagesBeforeSync.length + rd.messagesAfterSync.length;
        if (rd.hardState) this.latestHard = rd.hardState;
        // The core decides what must wait for the write (Ready.mustSync, messagesBeforeSync,
        // applicableBeforeSync — docs/raft.md "Host loop contract"); the host only obeys:
        // - committed entries already durable here are applied before the write, so a commit
        //   learnt while the previous write was in flight does not wait for the next fsync;
        // - heartbeats and the leader's appends leave before the write (the leader writes in parallel
        //   with its followers and counts itself once durable, docs/raft.md "Host loop contract");
        // - a commit-index-only change is not written now: with the next write that must be
        //   synced anyway, or by the flush timer.
        const early = rd.applicableBeforeSync;
        for (let i = 0; i < early; i++) this.applyEntry(rd.committedEntries[i]!);
        if (early > 0) this.releaseWaiters();
        const { before, after } = this.outgoing(rd);
        if (before.length > 0) this.o.send(before);
        if (rd.mustSync) {
          this.counters.syncs++;
          this.counters.syncedEntries += rd.entries.length;
          const hard = this.hardDirty() ? this.latestHard : null;
          await this.o.storage.persist({ snapshot: rd.snapshot, entries: rd.entries, hardState: hard });
          if (hard) this.persistedHard = hard;
        }
        if (this.stopped) return;
        if (after.length > 0) this.o.send(after);
        if (rd.snapshot) {
          this.o.sm.restore(rd.snapshot.data);
          this.installs++;
          this.snapshotIndex = rd.snapshot.meta.index;
          this.appliedChars = 0;
          this.lastImageChars = rd.snapshot.data.length;
          this.appliedIdx = Math.max(this.appliedIdx, rd.snapshot.meta.index);
        }
        for (let i = early; i < rd.committedEntries.length; i++) this.applyEntry(rd.committedEntries[i]!);
        this.node.advance(rd);
        if (rd.softState) this.o.log.info({ role: rd.softState.role, leader: rd.softState.lead, term: this.node.term }, 'raft role changed');
        this.releaseWaiters();
      }
    } catch (e) {
      this.failed = e instanceof Error ? e : new Error(String(e));
      this.o.log.warn({ err: this.failed }, 'raft storage failed: this member stops taking part in raft');
      this.ticker?.cancel();
    } finally {
      this.processing = false;
      for (const r of this.idleResolvers.splice(0)) r();
    }
    if (!this.stopped && !this.failed) {
      if (this.node.hasReady()) this.kick();
      this.maybeCompact(false);
    }
  }

  /**
   * The messages of a Ready that leave before its write and those that wait for it, as the core
   * decided. Protected so that the simulator's mutation test can break exactly this rule in a
   * test subclass (test/sim/raft-host-mutants.ts); production never overrides it.
   */
  protected outgoing(rd: Ready): { before: Message[]; after: Message[] } {
    return { before: rd.messagesBeforeSync, after: rd.messagesAfterSync };
  }

  private applyEntry(e: Entry): void {
    this.appliedIdx = e.index;
    if (e.type === 'conf') {
      const cc = JSON.parse(e.data) as ConfChange;
      const conf = this.node.applyConfChange(cc);
      // A leader's term-start 'record' entry restates the configuration (docs/raft.md "Lost disks").
      if (cc.type === 'record') this.o.log.debug({ index: e.index, conf }, 'raft configuration recorded');
      else this.o.log.info({ index: e.index, change: e.data, conf }, 'raft configuration changed');
      this.o.onConfChange?.(conf);
      return;
    }
    this.appliedChars += e.data.length;
    if (e.data !== '') this.o.sm.apply(e);
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const applied = this.appliedIdx;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.index <= applied) this.settleApplied(w);
      else keep.push(w);
    }
    this.waiters = keep;
  }

  /**
   * 0 for the first voter by id, up to 0.5 for the last: spreads the members' compactions by count
   * over half an interval, so their pauses do not coincide (a non-voter takes 0.5).
   */
  private compactionStagger(): number {
    const voters = [...this.node.confState().voters].sort();
    const rank = voters.indexOf(this.o.id);
    return voters.length <= 1 ? 0 : (rank < 0 ? voters.length - 1 : rank) / (2 * (voters.length - 1));
  }

  private maybeCompact(byTime: boolean): void {
    if (this.compacting || this.processing || this.stopped || this.failed) return;
    const applied = this.node.log.applied;
    if (applied <= this.snapshotIndex) return;
    // Members apply the same entries, so without this they would all compact at the same index:
    // each waits a little longer by its rank among the voters (docs/raft.md "Compaction under load").
    // (The stagger is looked up only once the plain count is reached: this runs after every Ready.)
    let byCount = applied - this.snapshotIndex >= this.o.snapshotEntries;
    if (byCount) {
      const stretch = 1 + this.compactionStagger();
      byCount = applied - this.snapshotIndex >= this.o.snapshotEntries * stretch && this.appliedChars >= this.lastImageChars * (this.o.snapshotLogRatio ?? 0) * stretch;
    }
    const due = byCount || (byTime && this.o.clock.monotonic() - this.lastSnapshotAt >= this.o.snapshotIntervalMs);
    if (!due) return;
    this.compacting = true;
    // Everything the snapshot records is taken now, at `applied`: the image (captured within the
    // call when it is sliced), the configuration and the characters applied up to here.
    const conf = this.node.confState();
    const charsBefore = this.appliedChars;
    const installs = this.installs;
    if (!this.o.sm.snapshotSliced) {
      this.writeCompaction(applied, this.o.sm.snapshot(), conf, charsBefore, installs);
      return;
    }
    const yieldTurn = this.o.yieldTurn ?? nextTurn;
    let image: Promise<SnapshotImage>;
    try {
      image = this.o.sm.snapshotSliced(async () => {
        await yieldTurn();
        if (this.stopped || this.failed) throw new CompactionAbandoned('raft: stopped while building the snapshot image');
      });
    } catch (e) {
      // A machine that throws within the call (the capture) instead of rejecting: the same failure.
      image = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    image.then(
      (data) => {
        // Entries applied meanwhile are not in the image (it holds the state at `applied`); a
        // snapshot installed meanwhile replaced that state: the image is stale, nothing is written.
        if (this.stopped || this.failed || this.installs !== installs) {
          this.compacting = false;
          return;
        }
        this.writeCompaction(applied, data, conf, charsBefore, installs);
      },
      (e: unknown) => {
        this.compacting = false;
        if (!(e instanceof CompactionAbandoned)) this.o.log.warn({ err: e }, 'raft compaction failed: building the snapshot image');
      },
    );
  }

  /** Writes a compaction at `applied` (image, configuration and applied characters of that moment). */
  private writeCompaction(applied: number, data: SnapshotImage, conf: ConfState, charsBefore: number, installs: number): void {
    // The callbacks capture only the length: the image itself is garbage once written.
    const chars = imageChars(data);
    this.o.storage.compact(applied, data, conf).then(
      () => {
        // A snapshot installed from the leader since the capture is newer: it set these already.
        if (this.installs === installs) {
          this.snapshotIndex = applied;
          this.appliedChars -= charsBefore;
          this.lastImageChars = chars;
        }
        this.lastSnapshotAt = this.o.clock.monotonic();
        this.compacting = false;
        this.o.log.debug({ index: applied, bytes: chars }, 'raft log compacted');
        this.o.onCompacted?.(applied, chars);
      },
      (e: unknown) => {
        this.compacting = false;
        this.o.log.warn({ err: e }, 'raft compaction failed');
      },
    );
  }
}

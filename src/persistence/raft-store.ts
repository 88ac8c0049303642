/**
 * PersistentStore replicated by Raft (CP): every write is a log entry; it resolves only once the
 * entry is committed by a majority and applied on this member (read-your-writes on the member
 * that took the request). Any member accepts writes: a follower forwards the command to the
 * leader (over the cluster transport) and then waits for its own apply of that index. Reads are
 * served from the local state machine, as Nacos does (docs/protocol/persistent.md §1.4).
 *
 * Standalone mode runs the same code as a one-voter group that elects itself at start.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { NacosError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { RaftHost, RaftTimeoutError, type RaftHostCounters, type RaftStatus } from '../raft/host.js';
import type { ProposeResult } from '../raft/node.js';
import { isFresh, type RaftLogStore } from '../raft/log-store.js';
import type { ConfState, Message, NodeId } from '../raft/types.js';
import { commandProblem, encodeCommand, KvStateMachine, parseCommand, type KvStats, type StoreCommand } from './kv-state-machine.js';
import { CONDITION_FAILED, ConditionFailedError, type ApplyListener, type PersistentStore, type StoreTable, type StoreWrite, type WriteCheck } from './persistent-store.js';

/** Nacos' group name for persistent instances; used in its error messages. */
export const RAFT_GROUP = 'naming_persistent_service_v2';
export const NO_LEADER_MESSAGE = `The Raft Group [${RAFT_GROUP}] did not find the Leader node`;
/** A write on a member that has not yet applied everything committed before it started. */
export const NOT_CAUGHT_UP_MESSAGE = 'persistent data is still being recovered from the Raft group on this member, please try again later';

/** How a member reaches its peers' Raft (the cluster transport in production, a fake in tests). */
export interface RaftPeerLink {
  send(messages: Message[]): void;
  /**
   * Asks `leader` to propose the command; resolves with the index it was applied at on the leader.
   * Rejects with NotLeaderError when the command was certainly not proposed (the peer is not the
   * leader, or could not be reached): the caller may retry elsewhere.
   */
  forward(leader: NodeId, command: string, timeoutMs: number): Promise<{ index: number }>;
}

/**
 * A forwarded command's outcome on the leader: applied at `index`; certainly not proposed (retry
 * at `leader`, '' = unknown); or its own error (`code` < 500: refused; 500: outcome unknown).
 */
export type ForwardOutcome = { ok: true; index: number } | { ok: false; leader: NodeId } | { ok: false; code: number; message: string };

/** Thrown by a follower asked to propose: the caller retries at `leader` ('' = unknown). */
export class NotLeaderError extends Error {
  constructor(readonly leader: NodeId) {
    super(`not the raft leader${leader ? ` (leader: ${leader})` : ''}`);
  }
}

export interface RaftStoreOptions {
  id: NodeId;
  openLog: () => Promise<RaftLogStore>;
  clock: Clock;
  log: Logger;
  tickMs: number;
  electionTick: number;
  heartbeatTick: number;
  snapshotEntries: number;
  snapshotIntervalMs: number;
  /** See RaftHostOptions.snapshotLogRatio (docs/raft.md "Compaction under load"). */
  snapshotLogRatio?: number;
  /** See RaftHostOptions.snapshotResendMs (docs/raft.md "Snapshot transfer"). */
  snapshotResendMs?: number;
  /** Overall wait of one write (Nacos: 10 s). */
  writeTimeoutMs: number;
  /** Forward-to-leader request timeout (Nacos rpc_request_timeout_ms: 5 s). */
  forwardTimeoutMs: number;
  /** How long a write waits for a leader to be known before failing with 500. */
  noLeaderWaitMs: number;
  /**
   * How long `startConsensus` waits for this member to catch up with the group (apply a barrier
   * entry, see `catchUp`) before it returns anyway; catching up then continues in the background.
   */
  catchUpTimeoutMs: number;
  /**
   * Join mode (`nomen.raft.join`): an empty log is not bootstrapped with the member list; the
   * member waits for the leader's entries or snapshot (docs/operations.md, lost disk).
   */
  join?: boolean;
  /**
   * The apply listeners' own parsing of a write (naming, auth, namespaces). A write it refuses is
   * never proposed, and a logged command holding one is skipped at apply time. Default: accept all.
   */
  check?: WriteCheck;
  random?: () => number;
  /** After a log compaction wrote an image of `imageChars` characters (see RaftHostOptions). */
  onCompacted?: (index: number, imageChars: number) => void;
}

export interface RaftStoreStats extends KvStats, Partial<RaftHostCounters> {
  proposed: number;
  forwarded: number;
  failed: number;
}

export class RaftStore implements PersistentStore {
  readonly kv: KvStateMachine;
  private storage: RaftLogStore | null = null;
  private host: RaftHost | null = null;
  private link: RaftPeerLink | null = null;
  private replayedIndex = 0;
  /** Characters of state read at open (snapshot image + replayed entries): see src/app/release-garbage.ts. */
  restoredChars = 0;
  /** This member applied a barrier entry proposed after it started: see catchUp(). */
  private caughtUpFlag = false;
  private closed = false;
  private readonly caughtUpWaiters: (() => void)[] = [];
  private readonly counters = { proposed: 0, forwarded: 0, failed: 0 };
  private readonly log: Logger;

  constructor(private readonly o: RaftStoreOptions) {
    this.log = o.log;
    this.kv = new KvStateMachine(50_000, (err, index) => this.log.error({ index, err }, 'raft entry rejected by the state machine'), o.check);
  }

  /** Opens the log, restores the snapshot and replays committed entries: entries() is then complete. */
  async open(): Promise<void> {
    const storage = await this.o.openLog();
    this.storage = storage;
    const snap = storage.snapshot();
    if (snap.meta.index > 0) this.kv.restore(snap.data);
    this.restoredChars = snap.data.length;
    const commit = storage.initialState().hardState.commit;
    let i = Math.max(storage.firstIndex(), snap.meta.index + 1);
    const last = Math.min(commit, storage.lastIndex());
    while (i <= last) {
      const hi = Math.min(last + 1, i + 1024);
      for (const e of storage.entries(i, hi)) {
        if (e.type !== 'normal' || e.data === '') continue;
        this.kv.applyData(e.index, e.data);
        this.restoredChars += e.data.length;
      }
      i = hi;
    }
    this.replayedIndex = Math.max(snap.meta.index, last);
    this.log.info({ snapshotIndex: snap.meta.index, replayedTo: this.replayedIndex, rows: this.kv.size() }, 'persistent store recovered from the raft log');
  }

  /**
   * Starts taking part in consensus. `bootstrap` is the configuration used when this member's log
   * is empty (its first start): every member of the cluster, or just itself when standalone.
   */
  async startConsensus(bootstrap: ConfState, link: RaftPeerLink | null, onConfChange?: (c: ConfState) => void): Promise<void> {
    const storage = this.requireStorage();
    if (isFresh(storage) && this.o.join === true) {
      this.log.info({ members: bootstrap.voters }, 'raft join mode: empty log, no configuration; waiting for the leader to replicate to this member');
    } else if (isFresh(storage)) {
      await storage.bootstrap(bootstrap);
      this.log.info({ conf: bootstrap }, 'raft storage bootstrapped with the initial configuration');
    }
    const hlog = this.log.child({ component: 'raft' });
    this.host = new RaftHost(
      {
        id: this.o.id,
        storage,
        clock: this.o.clock,
        sm: this.kv,
        send: (msgs) => link?.send(msgs),
        log: { info: (o, m) => hlog.info(o, m), warn: (o, m) => hlog.warn(o, m), debug: (o, m) => hlog.debug(o, m) },
        tickMs: this.o.tickMs,
        electionTick: this.o.electionTick,
        heartbeatTick: this.o.heartbeatTick,
        random: this.o.random ?? Math.random,
        snapshotEntries: this.o.snapshotEntries,
        snapshotIntervalMs: this.o.snapshotIntervalMs,
        ...(this.o.snapshotLogRatio !== undefined ? { snapshotLogRatio: this.o.snapshotLogRatio } : {}),
        ...(this.o.snapshotResendMs !== undefined ? { snapshotResendMs: this.o.snapshotResendMs } : {}),
        ...(onConfChange ? { onConfChange } : {}),
        ...(this.o.onCompacted ? { onCompacted: this.o.onCompacted } : {}),
      },
      this.replayedIndex,
    );
    this.link = link;
    this.host.start();
    // Serve nothing persistent before every write acknowledged before this start is applied here
    // (docs/raft.md "Restart"): the replay at open() stops at the commit index on disk, which is
    // written lazily and may lag by the last second of acknowledged writes.
    if (await this.catchUp(this.o.catchUpTimeoutMs)) return;
    this.log.warn(
      { timeoutMs: this.o.catchUpTimeoutMs, appliedIndex: this.host.node.log.applied },
      'raft: not caught up with the group (no leader reachable); serving the replayed state, refusing persistent writes until caught up',
    );
    // Fire-and-forget: catchUp() catches and logs every failed attempt itself.
    void this.catchUpInBackground();
  }

  /** True once this member applied everything committed before it started (writes are refused until then). */
  get caughtUp(): boolean {
    return this.caughtUpFlag;
  }

  /** Resolves once `caughtUp` is true. */
  whenCaughtUp(): Promise<void> {
    if (this.caughtUpFlag) return Promise.resolve();
    return new Promise((r) => this.caughtUpWaiters.push(r));
  }

  /**
   * The start barrier: proposes an empty command through the normal write path (forwarded to the
   * leader from a follower) and waits for its apply here. Everything committed before the barrier
   * is applied before it, so afterwards this member's state holds every write acknowledged before
   * it started — including the entries after the commit index on its disk, which only a leader
   * can re-commit. Retries until `timeoutMs`; false if no barrier applied in time.
   */
  private async catchUp(timeoutMs: number): Promise<boolean> {
    const deadline = this.o.clock.monotonic() + timeoutMs;
    while (!this.caughtUpFlag && !this.closed && this.host && this.o.clock.monotonic() < deadline) {
      try {
        await this.submit(encodeCommand({ id: randomUUID(), batch: [] }), Math.max(1, deadline - this.o.clock.monotonic()));
        this.markCaughtUp();
      } catch (e) {
        this.log.debug({ err: e }, 'raft: catch-up barrier not applied yet');
        await sleep(this.o.clock, Math.min(this.o.tickMs * 4, Math.max(1, deadline - this.o.clock.monotonic())));
      }
    }
    return this.caughtUpFlag;
  }

  /** An empty barrier command through the normal write path, applied here: see PersistentStore.sync. */
  async sync(): Promise<void> {
    await this.submit(encodeCommand({ id: randomUUID(), batch: [] }), this.o.writeTimeoutMs);
  }

  private async catchUpInBackground(): Promise<void> {
    while (!this.caughtUpFlag && !this.closed) {
      if (await this.catchUp(this.o.writeTimeoutMs)) {
        this.log.info({ appliedIndex: this.host?.node.log.applied }, 'raft: caught up with the group; persistent writes accepted');
        return;
      }
    }
  }

  private markCaughtUp(): void {
    this.caughtUpFlag = true;
    for (const r of this.caughtUpWaiters.splice(0)) r();
  }

  get raft(): RaftHost | null {
    return this.host;
  }

  entries(): Iterable<{ table: StoreTable; key: string; value: unknown }> {
    return this.kv.entries();
  }

  onApply(listener: ApplyListener): void {
    this.kv.onApply(listener);
  }

  async write(batch: readonly StoreWrite[]): Promise<void> {
    if (batch.length === 0) return;
    this.requireHost();
    const command = encodeCommand({ id: randomUUID(), batch: [...batch] });
    // Checked as the state machine will see it (after the JSON round trip: NaN and ±Infinity become
    // null), so a write that would not apply is refused here instead of acknowledged.
    const problem = this.problemOf(parseCommand(command));
    if (problem !== null) {
      this.counters.failed++;
      throw new NacosError(400, `invalid persistent write, not applied: ${problem}`, 20002);
    }
    // A write is often computed from this member's state (read-modify-write: service metadata,
    // health flips, "create if absent"); before catching up that state may miss acknowledged
    // writes, so such a command is never proposed.
    if (!this.caughtUpFlag) {
      this.counters.failed++;
      throw new NacosError(503, NOT_CAUGHT_UP_MESSAGE);
    }
    try {
      await this.submit(command, this.o.writeTimeoutMs);
    } catch (e) {
      this.counters.failed++;
      throw e;
    }
  }

  /** Leader side of a forwarded write: propose and wait for the local apply. */
  async proposeAsLeader(command: string): Promise<{ index: number }> {
    const [r] = await this.proposeBatchAsLeader([command]);
    if (r === undefined) throw new Error('raft: no outcome for a proposed command');
    if (r.ok) return { index: r.index };
    if ('leader' in r) throw new NotLeaderError(r.leader);
    throw new NacosError(r.code, r.message);
  }

  /**
   * Leader side of a batch of forwarded writes (docs/raft.md "Forwarded writes"): the valid
   * commands are proposed together (one Ready) and each is answered on its own once applied here —
   * an invalid or refused command never fails its batch mates.
   */
  async proposeBatchAsLeader(commands: readonly string[]): Promise<ForwardOutcome[]> {
    const host = this.requireHost();
    const out: ForwardOutcome[] = [];
    const valid: number[] = [];
    commands.forEach((c, i) => {
      const problem = this.problemOf(parseCommand(c));
      if (problem === null) valid.push(i);
      out[i] = { ok: false, code: 400, message: problem ?? '' };
    });
    const proposed = host.proposeBatch(valid.map((i) => commands[i]!));
    await Promise.all(
      valid.map(async (at, k) => {
        const r = proposed[k]!;
        if (!r.ok) {
          out[at] = { ok: false, leader: r.leader };
          return;
        }
        this.counters.proposed++;
        try {
          await host.waitApplied(r.index, r.term, this.o.writeTimeoutMs);
          // A failed batch condition is not an error of the forward: the follower reads it from its
          // own apply of the same index (every member decides the same).
          this.throwIfRejected(r.index, false);
          out[at] = { ok: true, index: r.index };
        } catch (e) {
          const n = toNacos(e);
          out[at] = { ok: false, code: n instanceof NacosError ? n.status : 500, message: n.message };
        }
      }),
    );
    return out;
  }

  private problemOf(cmd: StoreCommand | { error: string }): string | null {
    if ('error' in cmd) return cmd.error;
    return this.o.check ? commandProblem(cmd, this.o.check) : null;
  }

  /** Proposes on this member and, if it took the proposal, waits for the local apply of that entry. */
  private async proposeHere(host: RaftHost, command: string, timeoutMs: number): Promise<ProposeResult> {
    const r = host.propose(command);
    if (!r.ok) return r;
    this.counters.proposed++;
    await host.waitApplied(r.index, r.term, timeoutMs).catch((e: unknown) => {
      throw toNacos(e);
    });
    this.throwIfRejected(r.index);
    return r;
  }

  /**
   * The entry at `index` was skipped by the state machine: its writer gets an error, never success
   * (`conditions` false: a failed batch condition is left to the caller).
   */
  private throwIfRejected(index: number, conditions = true): void {
    const why = this.kv.rejection(index);
    if (why === undefined) return;
    if (why.startsWith(CONDITION_FAILED)) {
      if (conditions) throw new ConditionFailedError(why.slice(CONDITION_FAILED.length));
      return;
    }
    throw new NacosError(500, `persistent write not applied: ${why}`);
  }

  /**
   * Proposes here when leader, else forwards to the leader, within `timeoutMs`. Without a usable
   * leader it waits for the host's next leader change (docs/raft.md "Write path and errors"), never
   * longer than the no-leader wait; at most two ticks after a refusal that changed nothing here, and
   * one tick when this member is a leader refusing proposals (handing over).
   */
  private async submit(command: string, timeoutMs: number): Promise<void> {
    const host = this.requireHost();
    const deadline = this.o.clock.monotonic() + timeoutMs;
    let noLeaderSince: number | null = null;
    for (;;) {
      const left = deadline - this.o.clock.monotonic();
      if (left <= 0) throw new NacosError(500, `raft write timed out after ${timeoutMs} ms`);
      const st = host.node;
      if (st.role === 'leader') {
        const r = await this.proposeHere(host, command, left);
        if (r.ok) return;
        if (r.reason === 'removed') throw new NacosError(500, NO_LEADER_MESSAGE);
        // transferring / just deposed: wait for the next leader
      } else if (st.lead !== '' && this.link) {
        noLeaderSince = null;
        const lead = st.lead;
        let res: { index: number } | null = null;
        try {
          this.counters.forwarded++;
          res = await this.link.forward(lead, command, Math.min(left, this.o.forwardTimeoutMs));
        } catch (e) {
          // Refused before proposing (not leader any more, unreachable): safe to retry. Anything
          // else (a timeout after the leader took it) has an unknown outcome: report it.
          if (!(e instanceof NotLeaderError)) throw toNacos(e);
          // Retry at once if this member learnt of a change meanwhile; else when it does. The
          // refusal may come with nothing to learn here (the leader unreachable for a moment):
          // then after two ticks, as before.
          if (host.node.lead === lead && host.node.role !== 'leader') await host.leaderChange(Math.min(this.o.tickMs * 2, Math.max(1, left)));
          continue;
        }
        await host.waitApplied(res.index, null, Math.max(1, deadline - this.o.clock.monotonic())).catch((e: unknown) => {
          throw toNacos(e);
        });
        this.throwIfRejected(res.index);
        return;
      }
      const now = this.o.clock.monotonic();
      noLeaderSince ??= now;
      const waited = now - noLeaderSince;
      if (waited >= this.o.noLeaderWaitMs) throw new NacosError(500, NO_LEADER_MESSAGE);
      // A leader refusing while it hands leadership over may keep it (the transfer timed out): no
      // change is reported then, so it looks again after a tick.
      const wait = Math.min(this.o.noLeaderWaitMs - waited, left, host.node.role === 'leader' ? this.o.tickMs : Infinity);
      await host.leaderChange(Math.max(1, wait));
    }
  }

  /**
   * The image of this member's snapshot at `index` as UTF-8 bytes, for sending a snapshot the core
   * handed out with `imageInStorage` (docs/raft.md "Snapshot transfer").
   */
  snapshotImageBytes(index: number): Promise<Buffer> {
    if (!this.storage?.snapshotImageBytes) return Promise.reject(new Error('raft: this storage keeps no snapshot image to read'));
    return this.storage.snapshotImageBytes(index);
  }

  status(): RaftStatus | null {
    return this.host?.status() ?? null;
  }

  stats(): RaftStoreStats {
    return { ...this.kv.stats, ...this.counters, ...(this.host ? this.host.counters : {}) };
  }

  /** Graceful shutdown: a leader hands leadership to the most up-to-date voter first (bounded wait). */
  async transferLeadershipAway(timeoutMs: number): Promise<boolean> {
    const host = this.host;
    if (!host || host.node.role !== 'leader') return false;
    const st = host.status();
    const candidates = st.conf.voters.filter((v) => v !== this.o.id).sort((a, b) => (st.progress[b] ?? 0) - (st.progress[a] ?? 0));
    const to = candidates[0];
    if (!to || !host.transferLeadership(to)) return false;
    const until = this.o.clock.monotonic() + timeoutMs;
    while (host.node.role === 'leader' && this.o.clock.monotonic() < until) await sleep(this.o.clock, 10);
    return host.node.role !== 'leader';
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.host?.stop();
    await this.storage?.close();
    this.storage = null;
  }

  private requireStorage(): RaftLogStore {
    if (!this.storage) throw new Error('persistent store is not open');
    return this.storage;
  }

  private requireHost(): RaftHost {
    if (!this.host) throw new NacosError(503, 'persistent store is not ready (raft not started)');
    return this.host;
  }
}

function toNacos(e: unknown): NacosError | ConditionFailedError {
  if (e instanceof NacosError || e instanceof ConditionFailedError) return e;
  if (e instanceof RaftTimeoutError) return new NacosError(500, `raft write timed out: ${e.message}`);
  if (e instanceof NotLeaderError) return new NacosError(500, NO_LEADER_MESSAGE);
  return new NacosError(500, `raft write failed: ${e instanceof Error ? e.message : String(e)}`);
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((r) => clock.setTimeout(r, ms));
}

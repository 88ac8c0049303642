/**
 * A simulated member running the production Raft host (src/raft/host.ts) — not a test host — over
 * the simulator's clock and network, with DurableRaftStorage on a SimDisk: asynchronous persistence
 * with group commit, early sends, early apply, lazy commit-index writes and host-driven compaction
 * all run as in production. Start-up replays the log like RaftStore.open
 * (src/persistence/raft-store.ts); client writes are acknowledged by `waitApplied(index, term)` on
 * the member that took them, and reads go through an empty barrier entry, like RaftStore.sync.
 */
import type { RaftHost, RaftHostLog, RaftStateMachine } from '../../src/raft/host.js';
import { RaftStorageCorruptError, type DurableRaftStorage, type Entry, type Message, type NodeId, type RaftNode } from '../../src/raft/index.js';
import type { MemberChange } from '../../src/raft/types.js';
import type { ProposeResult } from '../../src/raft/node.js';
import { scanRecords } from '../../src/raft/disk/record-codec.js';
import { newRaftHost } from './raft-host-mutants.js';
import type { RaftSim, SimMember } from './raft-sim.js';
import { TimerGroup } from './scheduler.js';
import type { SimDisk } from './sim-disk.js';

interface Image {
  kv: Record<string, string>;
  ids: string[];
  last: number;
}

interface Cmd {
  id: string;
  /** '' for a read barrier (changes nothing). */
  key: string;
  value: string;
}

const QUIET: RaftHostLog = { info() {}, warn() {}, debug() {} };

/** KV registers with de-duplicated client operations (thesis §6.3), checked as they apply. */
class KvMachine implements RaftStateMachine {
  kv: Record<string, string> = {};
  ids: string[] = [];
  idSet = new Set<string>();
  /** Index of the last entry applied (normal entries only; the host skips no-ops and conf changes). */
  last = 0;

  constructor(
    private readonly id: NodeId,
    private readonly sim: RaftSim,
  ) {}

  apply(e: Entry): void {
    const check = this.sim.checker;
    if (e.index <= this.last) check.fail(`apply order on ${this.id}: ${e.index} after ${this.last}`);
    check.sawApply(e, this.id);
    this.last = e.index;
    const cmd = JSON.parse(e.data) as Cmd;
    if (cmd.key === '' || this.idSet.has(cmd.id)) return;
    this.idSet.add(cmd.id);
    this.ids.push(cmd.id);
    this.kv[cmd.key] = cmd.value;
  }

  snapshot(): string {
    this.sim.stats.compactions++;
    return JSON.stringify({ kv: this.kv, ids: this.ids, last: this.last } satisfies Image);
  }

  restore(data: string): void {
    const img = JSON.parse(data) as Image;
    this.kv = { ...img.kv };
    this.ids = [...img.ids];
    this.idSet = new Set(img.ids);
    this.last = img.last;
  }
}

export class ProdHost implements SimMember {
  alive = false;
  starting = false;
  retired = false;
  incarnation = 0;
  group = new TimerGroup();
  /** Set by the corruption fault: the next start must be refused. */
  corrupted = false;
  private host!: RaftHost;
  private sm!: KvMachine;
  private storage!: DurableRaftStorage;

  /** Join mode after a wipe: a fresh storage starts with no configuration instead of the member list. */
  private join = false;

  constructor(
    readonly id: NodeId,
    public disk: SimDisk,
    private readonly sim: RaftSim,
    storage: DurableRaftStorage,
  ) {
    disk.onSync = () => this.maybeCrashMidWrite();
    this.boot(storage);
  }

  get node(): RaftNode {
    return this.host.node;
  }

  snapshotInstalled(index: number): Promise<void> {
    return this.host.waitApplied(index, null, 600_000);
  }

  snapshotImage(index: number): Promise<Buffer> {
    return this.storage.snapshotImageBytes(index);
  }

  get appliedIndex(): number {
    return this.host.node.log.applied;
  }

  get kv(): Readonly<Record<string, string>> {
    return this.sm.kv;
  }

  get appliedIds(): ReadonlySet<string> {
    return this.sm.idSet;
  }

  get appliedWrites(): number {
    return this.sm.ids.length;
  }

  /** Recovers the state machine from the storage as RaftStore.open does, then starts a RaftHost on it. */
  private boot(storage: DurableRaftStorage): void {
    this.storage = storage;
    const sm = new KvMachine(this.id, this.sim);
    const snap = storage.snapshot();
    if (snap.data) sm.restore(snap.data);
    const last = Math.min(storage.initialState().hardState.commit, storage.lastIndex());
    for (let i = Math.max(storage.firstIndex(), snap.meta.index + 1); i <= last; i++) {
      const e = storage.entries(i, i + 1)[0]!;
      if (e.type === 'normal' && e.data !== '') sm.apply(e);
    }
    this.sm = sm;
    const rng = this.sim.rng.fork();
    const clock = this.sim.sched.clock(this.group, 0);
    const inc = this.incarnation;
    this.host = newRaftHost(
      {
        id: this.id,
        storage,
        clock,
        sm,
        send: (msgs: Message[]) => {
          if (this.alive && this.incarnation === inc) for (const m of msgs) this.sim.net.send(m);
        },
        log: QUIET,
        tickMs: this.sim.opts.tickMs,
        electionTick: 10,
        heartbeatTick: this.sim.nodeConfig.heartbeatTick,
        random: () => rng.next(),
        snapshotEntries: this.sim.compactEvery,
        snapshotIntervalMs: 1000,
      },
      Math.max(snap.meta.index, last),
      this.sim.opts.hostMutation,
    );
    this.alive = true;
    const host = this.host;
    clock.setTimeout(() => host.start(), this.sim.rng.int(0, this.sim.opts.tickMs));
  }

  private checkHealthy(): void {
    const f = this.host.failure;
    if (f) this.sim.checker.fail(`storage: ${this.id}: the host stopped after a storage failure: ${f.message}`);
  }

  receive(m: Message): void {
    if (!this.alive) return;
    this.checkHealthy();
    this.host.receive([m]);
  }

  clientWrite(id: string, data: string): ProposeResult {
    this.checkHealthy();
    const r = this.host.propose(data);
    if (r.ok) this.sim.track(this.host.waitApplied(r.index, r.term, 1000), this, () => this.sim.writeApplied(id), () => {});
    return r;
  }

  clientRead(ctx: string, key: string, done: (value: string | null) => void): { ok: true } | { ok: false; leader: NodeId } {
    const r = this.host.propose(JSON.stringify({ id: ctx, key: '', value: '' } satisfies Cmd));
    if (!r.ok) return { ok: false, leader: r.leader };
    this.sim.track(this.host.waitApplied(r.index, r.term, 1000), this, () => done(this.readValue(key)), () => {});
    return { ok: true };
  }

  readValue(key: string): string | null {
    return this.sm.kv[key] ?? null;
  }

  transferLeadership(to: NodeId): boolean {
    return this.host.transferLeadership(to);
  }

  proposeConfChange(cc: MemberChange): boolean {
    return this.host.proposeConfChange(cc).ok;
  }

  /** Power loss: the host object is lost with everything in flight; the disk keeps what was synced. */
  reportUnreachable(peer: NodeId): void {
    if (this.alive) this.host.reportUnreachable(peer);
  }

  reportSnapshot(peer: NodeId): void {
    if (this.alive) this.host.reportSnapshot(peer, 'failed');
  }

  crash(): void {
    this.sim.trace(`CRASH ${this.sim.logOf(this.id)}`);
    this.sim.memberCrashed(this.id);
    this.alive = false;
    this.starting = false;
    this.group.alive = false;
    this.incarnation++;
    const before = this.disk.stats.tornBytes;
    this.disk.crash();
    this.sim.stats.tornBytes += this.disk.stats.tornBytes - before;
  }

  restart(): void {
    if (this.retired) return;
    this.incarnation++;
    this.group = new TimerGroup();
    this.starting = true;
    this.sim.track(
      this.join ? this.sim.openStorage(this.disk, []) : this.sim.openStorage(this.disk),
      this,
      (st) => {
        this.starting = false;
        if (this.corrupted) this.sim.checker.fail(`corruption: ${this.id} started on a log corrupted in the middle`);
        if (st.tornTail) this.sim.stats.tornTails++;
        this.boot(st);
        this.sim.trace(`RESTART ${this.sim.logOf(this.id)}${st.tornTail ? ' (torn tail truncated)' : ''}${this.join ? ' join mode' : ''}`);
      },
      (e) => {
        this.starting = false;
        if (!(this.corrupted && e instanceof RaftStorageCorruptError)) {
          this.sim.checker.fail(`storage: ${this.id} did not reopen: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        }
        // Refused to start, as it must: an operator replaces the member (docs/raft.md "Faults").
        this.sim.stats.refusedStarts++;
        this.sim.replaceMember(this.id);
      },
    );
  }

  /** The whole disk of a stopped member is lost: the next start finds an empty one (`join`: started in join mode). */
  wipeDisk(join: boolean): void {
    this.disk = this.sim.newDisk(this.id);
    this.disk.onSync = () => this.maybeCrashMidWrite();
    this.join = join;
  }

  /**
   * Bit rot in the middle of the log of a stopped member: one byte flipped in a record that is not
   * the very last one (that one would be indistinguishable from a torn write). False if the log
   * holds no such record yet.
   */
  corruptMidLog(): boolean {
    const segs = this.disk
      .filesIn('/raft/log')
      .filter((f) => f.path.endsWith('.seg'))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    const candidates: { path: string; from: number; to: number }[] = [];
    segs.forEach((f, i) => {
      const recs = scanRecords(f.data).records;
      const usable = i === segs.length - 1 ? recs.slice(0, -1) : recs;
      for (const r of usable) candidates.push({ path: f.path, from: r.offset, to: r.offset + 8 + r.payload.length });
    });
    if (candidates.length === 0) return false;
    const c = this.sim.rng.pick(candidates);
    this.disk.corrupt(c.path, this.sim.rng.int(c.from, c.to - 1));
    this.corrupted = true;
    return true;
  }

  /** Aims a power loss at an fsync in flight (restarted 20–200 ms later). */
  private maybeCrashMidWrite(): void {
    if (!this.alive || this.retired || !this.sim.crashMidWrite()) return;
    const inc = this.incarnation;
    this.sim.sched.after(this.sim.rng.int(0, 3), () => {
      if (!this.alive || this.incarnation !== inc) return;
      this.crash();
      this.sim.stats.crashes++;
      this.sim.stats.writeCrashes++;
      const down = this.incarnation;
      this.sim.sched.after(this.sim.rng.int(20, 200), () => {
        if (!this.alive && !this.starting && !this.retired && this.incarnation === down) this.restart();
      });
    });
  }
}

/**
 * A synchronous, hand-driven Raft cluster for unit tests (like etcd's `network` test helper):
 * every Ready is persisted to MemoryRaftStorage, committed entries are applied (conf changes
 * included), and messages are delivered in FIFO order until the cluster is quiet. Tests can
 * drop messages with a filter, isolate or stop nodes, and rewrite messages in flight.
 */
import { MemoryRaftStorage, RaftNode, type ConfChange, type ConfState, type Entry, type Message, type NodeId, type RaftOptions, type ReadState } from '../../src/raft/index.js';
import { Rng } from './prng.js';
import { newRaftNode, type RaftMutation } from './raft-mutants.js';

export interface HarnessMember {
  node: RaftNode;
  storage: MemoryRaftStorage;
  applied: Entry[];
  readStates: ReadState[];
  up: boolean;
}

export class RaftHarness {
  readonly members = new Map<NodeId, HarnessMember>();
  /** Return false to drop a message; may also return a replacement message. */
  filter: (m: Message) => boolean | Message = () => true;
  readonly isolated = new Set<NodeId>();
  readonly delivered: Message[] = [];
  private readonly queue: Message[] = [];
  private readonly rng: Rng;

  constructor(
    ids: NodeId[],
    private readonly opts: Partial<Omit<RaftOptions, 'id' | 'storage'>> = {},
    seed = 1,
    private readonly mutation: RaftMutation = 'none',
  ) {
    this.rng = new Rng(seed);
    const conf: ConfState = { voters: [...ids], learners: [] };
    for (const id of ids) this.addMember(id, new MemoryRaftStorage(conf));
  }

  addMember(id: NodeId, storage: MemoryRaftStorage): HarnessMember {
    const rng = this.rng.fork();
    const m: HarnessMember = {
      node: newRaftNode({ electionTick: 10, heartbeatTick: 1, random: () => rng.next(), ...this.opts, id, storage }, this.mutation),
      storage,
      applied: [],
      readStates: [],
      up: true,
    };
    this.members.set(id, m);
    return m;
  }

  get(id: NodeId): RaftNode {
    return this.members.get(id)!.node;
  }

  /** Crash: the node object is lost, storage survives. */
  stop(id: NodeId): void {
    this.members.get(id)!.up = false;
  }

  restart(id: NodeId): void {
    const m = this.members.get(id)!;
    const rng = this.rng.fork();
    m.node = newRaftNode({ electionTick: 10, heartbeatTick: 1, random: () => rng.next(), ...this.opts, id, storage: m.storage }, this.mutation);
    m.applied = [];
    m.up = true;
  }

  /** Handles one Ready of `id`: persist, queue messages, apply, advance. */
  processReady(id: NodeId): boolean {
    const m = this.members.get(id)!;
    if (!m.up || !m.node.hasReady()) return false;
    const rd = m.node.ready();
    if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
    m.storage.append(rd.entries);
    if (rd.hardState) m.storage.setHardState(rd.hardState);
    this.queue.push(...rd.messages);
    m.readStates.push(...rd.readStates);
    for (const e of rd.committedEntries) {
      m.applied.push(e);
      if (e.type === 'conf') m.node.applyConfChange(JSON.parse(e.data) as ConfChange);
    }
    m.node.advance(rd);
    return true;
  }

  /** Processes Readies and delivers messages until nothing is left. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let progressed = false;
      for (const id of this.members.keys()) if (this.processReady(id)) progressed = true;
      while (this.queue.length > 0) {
        progressed = true;
        const msg = this.queue.shift()!;
        const target = this.members.get(msg.to);
        if (!target || !target.up || this.isolated.has(msg.to) || this.isolated.has(msg.from)) continue;
        const f = this.filter(msg);
        if (f === false) continue;
        const deliver = f === true ? msg : f;
        this.delivered.push(deliver);
        target.node.step(JSON.parse(JSON.stringify(deliver)) as Message);
        this.processReady(msg.to);
      }
      if (!progressed) return;
    }
    throw new Error('harness: did not stabilize');
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      const m = this.members.get(id)!;
      if (m.up) m.node.tick();
    }
  }

  /** Ticks `id` alone until it starts a campaign, then lets the cluster settle. */
  campaign(id: NodeId): void {
    const n = this.get(id);
    for (let i = 0; i < 100 && n.role !== 'preCandidate' && n.role !== 'candidate'; i++) n.tick();
    this.stabilize();
  }

  /** Ticks every up node `n` times, stabilizing after each round. */
  tickAll(n: number): void {
    for (let i = 0; i < n; i++) {
      for (const [id, m] of this.members) if (m.up) this.tick(id);
      this.stabilize();
    }
  }

  leader(): NodeId | null {
    for (const [id, m] of this.members) if (m.up && m.node.role === 'leader') return id;
    return null;
  }

  propose(id: NodeId, data: string): void {
    const r = this.get(id).propose(data);
    if (!r.ok) throw new Error(`propose on ${id}: ${r.reason}`);
    this.stabilize();
  }

  appliedData(id: NodeId): string[] {
    return this.members
      .get(id)!
      .applied.filter((e) => e.type === 'normal' && e.data !== '')
      .map((e) => e.data);
  }
}

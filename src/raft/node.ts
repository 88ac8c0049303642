import { raftConfig, type RaftConfig, type RaftOptions } from './config.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { ReadOnlyQueue } from './read-only.js';
import { CompactedError, SnapshotUnavailableError } from './storage.js';
import { coalesceMessages } from './coalesce.js';
import {
  NONE,
  type AppendMsg,
  type AppendRespMsg,
  type ConfChange,
  type MemberChange,
  type ConfState,
  type Entry,
  type HardState,
  type HeartbeatMsg,
  type HeartbeatRespMsg,
  type Message,
  type NodeId,
  type ReadState,
  type Ready,
  type Role,
  type SnapshotMsg,
  type SoftState,
  type VoteMsg,
  sameHardState,
} from './types.js';

export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: 'notLeader' | 'transferring' | 'confPending' | 'removed' | 'learnerNotReady'; leader: NodeId };

export type ReadIndexResult = { ok: true } | { ok: false; reason: 'notLeader' | 'notReady'; leader: NodeId };

/** Distributes a message type to `Omit<…, from|term>` for the internal send helper. */
type Outgoing = Message extends infer M ? (M extends Message ? Omit<M, 'from' | 'term'> & { term?: number } : never) : never;

/**
 * An I/O-free Raft node in the style of etcd-io/raft's RawNode. Inputs: tick(), step(), propose(),
 * proposeConfChange(), readIndex(), transferLeadership(). Output: ready() batches acknowledged by
 * advance(). All randomness comes from config.random; there is no clock.
 */
export class RaftNode {
  readonly id: NodeId;
  readonly cfg: RaftConfig;
  readonly log: RaftLog;

  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = 'follower';

  private voters = new Set<NodeId>();
  private learners = new Set<NodeId>();
  /** Leader only: progress of every member (including itself). */
  readonly progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  leadTransferee: NodeId = NONE;
  /** Leader: index of the last conf-change entry proposed; another is refused until it is applied. */
  private pendingConfIndex = 0;
  /**
   * Follower that told a leader it lost its log: the leader's commit index then. It grants no vote
   * and does not campaign until its log reaches it (docs/raft.md "Lost disks"). Durable: part of
   * the hard state (`catchUp`) until the commit index reaches it, so a member that crashes half-way
   * through its catch-up still waits after its restart.
   */
  private catchUpTarget = 0;
  /** Leader: followers whose progress was reset because they reported a lost log (for metrics and tests). */
  lostLogResets = 0;

  private readonly readOnly = new ReadOnlyQueue();
  private readStates: ReadState[] = [];
  private msgs: Message[] = [];

  private prevHard: HardState;
  private prevSoft: SoftState;

  constructor(opts: RaftOptions) {
    this.cfg = raftConfig(opts);
    this.id = this.cfg.id;
    this.log = new RaftLog(this.cfg.storage);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.setConf(confState);
    this.term = hardState.term;
    this.vote = hardState.vote;
    if (hardState.commit > 0) this.log.commitTo(hardState.commit);
    this.catchUpTarget = hardState.catchUp ?? 0;
    // Restart: membership = snapshot config + conf changes committed after it. The host will
    // re-apply those entries (applyConfChange is idempotent), but until it does the node must
    // not campaign or count votes with an outdated configuration.
    for (let i = this.log.firstIndex(); i <= this.log.committed; i += this.cfg.maxEntriesPerMsg) {
      for (const e of this.log.slice(i, Math.min(this.log.committed + 1, i + this.cfg.maxEntriesPerMsg))) {
        if (e.type === 'conf') this.changeMembership(JSON.parse(e.data) as ConfChange);
      }
    }
    this.prevHard = this.hardState();
    this.becomeFollower(this.term, NONE);
    this.prevSoft = this.softState();
  }

  // ---- configuration -------------------------------------------------------------------------

  private setConf(c: ConfState): void {
    this.voters = new Set(c.voters);
    this.learners = new Set(c.learners);
  }

  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() };
  }

  /** Voting members can campaign; learners and removed nodes cannot. */
  promotable(): boolean {
    return this.voters.has(this.id);
  }

  private quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  private members(): NodeId[] {
    return [...this.voters, ...this.learners];
  }

  // ---- role transitions ----------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    // Randomized timeout in [electionTick, 2*electionTick) avoids split votes (Raft §5.2).
    this.randomizedElectionTimeout = this.cfg.electionTick + Math.floor(this.cfg.random() * this.cfg.electionTick);
    this.votes.clear();
    this.leadTransferee = NONE;
    this.readOnly.clear();
    this.progress.clear();
    const last = this.log.lastIndex();
    for (const id of this.members()) {
      const p = new Progress(last + 1, this.learners.has(id), this.cfg.maxInflight);
      // Our own match is what is durable here (a leader acknowledges itself on the write, advance()).
      if (id === this.id) p.match = this.log.stableIndex();
      this.progress.set(id, p);
    }
  }

  private becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    if (this.role === 'leader') throw new Error('raft: leader cannot become pre-candidate');
    // Pre-vote (thesis §9.6) changes neither term nor vote: a partitioned node that keeps
    // campaigning cannot inflate its term and depose a healthy leader when it rejoins.
    this.votes.clear();
    this.lead = NONE;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new Error('raft: leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    if (this.role === 'follower') throw new Error('raft: follower cannot become leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.progress.get(this.id);
    self?.becomeReplicate();
    // A no-op entry of the new term (thesis §6.4): the leader cannot know which entries are
    // committed until one of its own term commits (Raft §5.4.2), and ReadIndex waits for it. It
    // records the configuration in force (a 'record' conf entry that changes nothing), so the log
    // itself carries the group's configuration: a member that joined with an empty disk and caught
    // up from entries learns it here, not only from a snapshot (docs/raft.md "Lost disks").
    const record: ConfChange = { type: 'record', conf: this.confState() };
    this.appendEntries([{ term: 0, index: 0, type: 'conf', data: JSON.stringify(record) }]);
    // Refuse conf changes until the no-op applies: fixes the single-server change bug
    // described on raft-dev (Ongaro, 2015) — a new leader must commit in its term first.
    this.pendingConfIndex = this.log.lastIndex();
  }

  private campaign(kind: 'preVote' | 'vote', transfer: boolean): void {
    // A candidate grants itself its vote: a member that may grant none (docs/raft.md "Lost disks")
    // may not stand either, or a wiped member short of what it acknowledged counts itself.
    if (!this.mayVoteAfterLoss()) return;
    let term: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      // Single-voter group: won immediately.
      if (kind === 'preVote') this.campaign('vote', transfer);
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const id of this.voters) {
      if (id === this.id) continue;
      this.send({ type: kind, to: id, term, index, logTerm, transfer });
    }
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let yes = 0;
    let no = 0;
    for (const [v, g] of this.votes) {
      if (!this.voters.has(v)) continue;
      if (g) yes++;
      else no++;
    }
    const q = this.quorum();
    if (yes >= q) return 'won';
    if (no > this.voters.size - q) return 'lost';
    return 'pending';
  }

  // ---- inputs --------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.cfg.preVote ? 'preVote' : 'vote', false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const p of this.progress.values()) if (p.state === 'snapshot') p.snapshotTicks++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        // Check-quorum (thesis §6.2): a leader that has not heard from a majority within an
        // election timeout steps down, so a partitioned leader stops serving ReadIndex / accepting
        // proposals that cannot commit, and followers' leader leases (see step) stay sound.
        let active = 0;
        for (const [id, p] of this.progress) {
          if (!this.voters.has(id)) continue;
          if (id === this.id || p.recentActive) active++;
          if (id !== this.id) p.recentActive = false;
        }
        if (active < this.quorum()) {
          this.becomeFollower(this.term, NONE);
          return;
        }
      }
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE; // transfer timed out
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastCtx());
    }
  }

  /**
   * The host's transport saw its connection to `peer` fail (reset or refused: the peer's process is
   * gone, docs/raft.md "Leader lost"). A follower whose leader that is stops waiting out the
   * election timeout: it forgets the leader — so its lease no longer shields it, and it grants
   * pre-votes — and campaigns (pre-vote first) at its (1 + 2·rank)-th next tick, rank = its place
   * among the other voters by id, so the survivors try one after another, two ticks apart, instead
   * of splitting the vote. Safety does not depend on it (votes, terms and logs are untouched); a live leader is not
   * disrupted by one follower's report because the voters that still hear it keep their lease and
   * ignore the pre-vote, and the leader's next heartbeat brings the follower back.
   */
  reportUnreachable(peer: NodeId): void {
    if (this.role !== 'follower' || peer === NONE || peer !== this.lead) return;
    this.lead = NONE;
    if (!this.promotable()) return;
    const rank = [...this.voters].filter((v) => v !== peer).sort().indexOf(this.id);
    this.electionElapsed = Math.max(this.electionElapsed, this.randomizedElectionTimeout - 1 - 2 * Math.max(0, rank));
  }

  /**
   * The host could not deliver the snapshot sent to `peer` (the transport refused it, the stream
   * broke, or the peer did not confirm receipt in time): the leader probes the follower again, and
   * the next answer (a heartbeat's) sends the snapshot anew if it is still needed. A report about a
   * follower that is not waiting for a snapshot changes nothing.
   */
  reportSnapshot(peer: NodeId, status: 'failed'): void {
    if (this.role !== 'leader' || status !== 'failed') return;
    const p = this.progress.get(peer);
    if (!p || p.state !== 'snapshot') return;
    p.becomeProbe();
    // Wait for the next heartbeat answer before probing (etcd does the same): the follower may be
    // unreachable for a while, and the probe would be one more snapshot into the void.
    p.probeSent = true;
  }

  propose(data: string): ProposeResult {
    return this.proposeEntry('normal', data);
  }

  proposeConfChange(cc: MemberChange): ProposeResult {
    // A voter joins as a learner that holds the committed log first (etcd refuses to promote a
    // learner that is not in sync): an empty voter grants no vote in join mode, so with one other
    // voter down the group could never elect a leader again (docs/raft.md "Membership changes").
    if (cc.type === 'addVoter' && this.role === 'leader' && this.pendingConfIndex <= this.log.applied && !this.voters.has(cc.node)) {
      const p = this.progress.get(cc.node);
      if (!this.learners.has(cc.node) || !p || p.match < this.log.committed) return { ok: false, reason: 'learnerNotReady', leader: this.lead };
    }
    // One change at a time (pendingConfIndex), so the configuration this entry results in is the
    // current one with the change applied: it is recorded in the entry (see ConfChange).
    const { voters, learners } = this.confAfter(cc);
    const change = { type: cc.type, node: cc.node, conf: { voters: [...voters].sort(), learners: [...learners].sort() } } as ConfChange;
    return this.proposeEntry('conf', JSON.stringify(change));
  }

  private proposeEntry(type: Entry['type'], data: string): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader', leader: this.lead };
    if (!this.progress.has(this.id)) return { ok: false, reason: 'removed', leader: NONE };
    // Thesis §3.10: stop accepting proposals while handing leadership over.
    if (this.leadTransferee !== NONE) return { ok: false, reason: 'transferring', leader: this.lead };
    if (type === 'conf' && this.pendingConfIndex > this.log.applied) return { ok: false, reason: 'confPending', leader: this.lead };
    const index = this.appendEntries([{ term: 0, index: 0, type, data }]);
    if (type === 'conf') this.pendingConfIndex = index;
    this.bcastAppend();
    return { ok: true, index, term: this.term };
  }

  /**
   * Linearizable read (thesis §6.4): the leader records its commit index, confirms it is still
   * leader with a heartbeat round acknowledged by a majority, then emits ReadState{ctx, index}.
   * The host serves the read once it has applied `index`. Followers answer notLeader (the caller
   * retries at the leader).
   */
  readIndex(ctx: string): ReadIndexResult {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader', leader: this.lead };
    // Until an entry of this term commits, the leader's commit index may be behind (§6.4 step 1).
    if (this.log.term(this.log.committed) !== this.term) return { ok: false, reason: 'notReady', leader: this.lead };
    if ((this.voters.size === 1 && this.voters.has(this.id)) || !this.readNeedsQuorum()) {
      this.readStates.push({ ctx, index: this.log.committed });
      return { ok: true };
    }
    this.readOnly.add(ctx, this.log.committed, this.id);
    this.bcastHeartbeat(ctx);
    return { ok: true };
  }

  transferLeadership(to: NodeId): boolean {
    if (this.role !== 'leader' || to === this.id || !this.voters.has(to)) return false;
    const p = this.progress.get(to);
    if (!p) return false;
    this.leadTransferee = to;
    this.electionElapsed = 0; // the transfer must finish within one election timeout
    if (p.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', to });
    else this.sendAppend(to);
    return true;
  }

  /** The host applied a committed conf-change entry: change membership now (single-server change). */
  applyConfChange(cc: ConfChange): ConfState {
    this.changeMembership(cc);
    if (this.role === 'leader') {
      if (!this.voters.has(this.id)) {
        // Removed leader steps down (thesis §4.2.2); the remaining members elect a new one.
        this.becomeFollower(this.term, NONE);
      } else if (this.maybeCommit()) this.bcastAppend();
    }
    return this.confState();
  }

  /** The configuration after `cc`: its recorded `conf`, else the current one changed incrementally. */
  private confAfter(cc: ConfChange): { voters: Set<NodeId>; learners: Set<NodeId> } {
    if (cc.conf) return { voters: new Set(cc.conf.voters), learners: new Set(cc.conf.learners) };
    if (cc.type === 'record') return { voters: new Set(this.voters), learners: new Set(this.learners) };
    const voters = new Set(this.voters);
    const learners = new Set(this.learners);
    if (cc.type === 'addVoter') {
      learners.delete(cc.node);
      voters.add(cc.node);
    } else if (cc.type === 'addLearner') {
      voters.delete(cc.node);
      learners.add(cc.node);
    } else {
      voters.delete(cc.node);
      learners.delete(cc.node);
    }
    return { voters, learners };
  }

  private changeMembership(cc: ConfChange): void {
    const next = this.confAfter(cc);
    for (const id of this.members()) {
      if (next.voters.has(id) || next.learners.has(id)) continue;
      this.progress.delete(id);
      if (this.leadTransferee === id) this.leadTransferee = NONE;
    }
    this.voters = next.voters;
    this.learners = next.learners;
    if (this.role !== 'leader') return;
    const last = this.log.lastIndex();
    for (const id of this.members()) {
      const learner = this.learners.has(id);
      const p = this.progress.get(id);
      if (p) p.isLearner = learner;
      else {
        const np = new Progress(last + 1, learner, this.cfg.maxInflight);
        np.recentActive = true; // give it an election timeout before check-quorum counts it
        this.progress.set(id, np);
      }
    }
  }

  step(m: Message): void {
    // --- term handling (Raft §5.1, thesis §9.6 pre-vote, §6.2 leader stickiness) ---
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Leader lease: a follower that heard from a leader within the election timeout ignores
        // vote requests, so a node that cannot hear the leader cannot disrupt it (thesis §4.2.3).
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTick;
        if (!m.transfer && inLease) return;
      }
      if (m.type === 'preVote') {
        // don't change term
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // term bumps when the real election starts
      } else {
        const fromLeader = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
        this.becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // Tell a stale leader about the new term so it steps down; otherwise (with pre-vote or
        // check-quorum) a node partitioned from it could never make it notice.
        this.send({ type: 'appResp', to: m.from, index: 0, reject: false, hint: 0, hintTerm: 0 });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'vote':
      case 'preVote':
        this.handleVote(m);
        return;
      default:
        break;
    }

    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  // ---------------------------------------------------------------- safety rules
  // One-line rules kept as protected methods so the simulator's mutation tests can break exactly one
  // of them in a test subclass (test/sim/raft-mutants.ts, docs/raft.md "Mutation results").
  // Production never overrides them.

  /** Raft §5.2: at most one vote per term (a pre-vote for a later term is always allowed). */
  protected mayVoteFor(m: VoteMsg): boolean {
    return this.vote === m.from || (this.vote === NONE && this.lead === NONE) || (m.type === 'preVote' && m.term > this.term);
  }

  /**
   * Lost disks (docs/raft.md "Lost disks"): no vote while this member has no configuration and no
   * entry (join mode), nor while it is catching up after a leader's heartbeat showed it lost
   * entries it had acknowledged.
   */
  protected mayVoteAfterLoss(): boolean {
    const last = this.log.lastIndex();
    return last === 0 && this.voters.size + this.learners.size === 0 ? false : last >= this.catchUpTarget;
  }

  /** Raft §5.4.1: the candidate's log is at least as up-to-date as ours. */
  protected candidateUpToDate(index: number, logTerm: number): boolean {
    return this.log.isUpToDate(index, logTerm);
  }

  /** Thesis §6.4: a ReadIndex is served only after a heartbeat round confirms leadership. */
  protected readNeedsQuorum(): boolean {
    return true;
  }

  /** The highest index stored on a majority, from the match indexes sorted high to low. */
  protected majorityMatch(sortedDesc: readonly number[]): number {
    return sortedDesc[this.quorum() - 1] ?? 0;
  }

  /** Raft §5.4.2 (Figure 8): only an entry of the current term commits by counting replicas. */
  protected commitsByCounting(index: number): boolean {
    return this.log.term(index) === this.term;
  }

  private handleVote(m: VoteMsg): void {
    const canVote = this.mayVoteFor(m) && this.mayVoteAfterLoss();
    const upToDate = this.candidateUpToDate(m.index, m.logTerm);
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    if (canVote && upToDate) {
      // Grant with the message's term: for pre-votes our own term is lower and unchanged.
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, reject: true });
    }
  }

  private stepCandidate(m: Message): void {
    const myResp = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        break;
      case 'voteResp':
      case 'preVoteResp': {
        if (m.type !== myResp) return;
        const r = this.poll(m.from, !m.reject);
        if (r === 'won') {
          if (this.role === 'preCandidate') this.campaign('vote', false);
          else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (r === 'lost') {
          // A pre-vote rejection may carry a higher term (handled above); otherwise stay put.
          this.becomeFollower(this.term, NONE);
        }
        break;
      }
      default:
        break;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        break;
      case 'timeoutNow':
        // Leader transfer (thesis §3.10): campaign immediately, skipping pre-vote, flagged so
        // that voters ignore their leader lease.
        if (this.promotable()) this.campaign('vote', true);
        break;
      default:
        break;
    }
  }

  private stepLeader(m: Message): void {
    const p = this.progress.get(m.from);
    if (!p) return;
    switch (m.type) {
      case 'appResp':
        p.recentActive = true;
        this.handleAppendResp(m, p);
        break;
      case 'heartbeatResp':
        this.handleHeartbeatResp(m, p);
        break;
      case 'app':
      case 'heartbeat':
      case 'snap':
        // Same term, two leaders: impossible if election safety holds.
        throw new Error(`raft: leader ${this.id} got ${m.type} from ${m.from} in its own term ${this.term}`);
      default:
        break;
    }
  }

  // ---- follower handlers -----------------------------------------------------------------------

  private handleAppend(m: AppendMsg): void {
    if (m.index < this.log.committed) {
      this.send({ type: 'appResp', to: m.from, index: this.log.committed, reject: false, hint: 0, hintTerm: 0 });
      return;
    }
    const last = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (last !== null) {
      // An accepted commit announcement tells the leader nothing it lacks (docs/raft.md "Commit announcements").
      if (m.quiet !== true || m.entries.length > 0) this.send({ type: 'appResp', to: m.from, index: last, reject: false, hint: 0, hintTerm: 0 });
      return;
    }
    if (this.log.lastIndex() === 0) {
      // Join mode (no configuration, no entry): the operator says this member lost its disk or is
      // new. The leader's log at first contact holds every committed entry, so it may not vote
      // until it holds that much: a snapshot behind what it once acknowledged is not enough.
      const join = this.voters.size + this.learners.size === 0;
      return this.answerLostLog(m.from, m.index, join ? Math.max(m.index, m.commit) : 0);
    }
    const h = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({ type: 'appResp', to: m.from, index: m.index, reject: true, hint: h.index, hintTerm: h.term });
  }

  private handleHeartbeat(m: HeartbeatMsg): void {
    // The leader sends min(commit, follower's match): past our last index only if we lost entries
    // we acknowledged (a lost disk).
    const last = this.log.lastIndex();
    this.log.commitTo(Math.min(m.commit, last));
    this.send({ type: 'heartbeatResp', to: m.from, ctx: m.ctx });
    if (m.commit > last) this.answerLostLog(m.from, m.commit, m.commit); // evidence: the leader counted our acks
  }

  /**
   * A rejection saying "my log ends at lastIndex, whatever you think I acknowledged" (an empty
   * log refusing an append, or a heartbeat's commit past our log): the leader restarts this
   * follower's replication from there at once instead of waiting for a new write. `catchUpTo`:
   * the commit index this member must reach before it votes again (0: no evidence of a loss — an
   * empty log may just be new).
   */
  private answerLostLog(to: NodeId, index: number, catchUpTo: number): void {
    this.catchUpTarget = Math.max(this.catchUpTarget, catchUpTo);
    this.send({ type: 'appResp', to, index, reject: true, hint: this.log.lastIndex(), hintTerm: 0, lost: true });
  }

  private handleSnapshot(m: SnapshotMsg): void {
    const s = m.snapshot;
    if (s.meta.index <= this.log.committed) {
      this.send({ type: 'appResp', to: m.from, index: this.log.committed, reject: false, hint: 0, hintTerm: 0 });
      return;
    }
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // We already have the entries (§7: "retain log entries following it"); just fast-forward commit.
      this.log.commitTo(s.meta.index);
    } else {
      this.log.restore(s);
      this.setConf(s.meta.conf);
    }
    this.send({ type: 'appResp', to: m.from, index: this.log.lastIndex(), reject: false, hint: 0, hintTerm: 0 });
  }

  // ---- leader handlers -----------------------------------------------------------------------

  private handleAppendResp(m: AppendRespMsg, p: Progress): void {
    if (m.reject && m.lost === true && m.hint < p.match) {
      // The follower lost entries it acknowledged (docs/raft.md "Lost disks"): replicate again
      // from its last index (entries, or the snapshot if they were compacted). Commit never goes
      // back; its new acknowledgements count again once it holds the entries.
      p.lostLog(Math.min(m.hint, this.log.lastIndex())); // a log longer than ours: probe back from our end
      this.lostLogResets++;
      this.sendAppend(m.from);
      return;
    }
    // While a snapshot is on its way, a refusal (of the confirming append, or of an append sent
    // before the snapshot) says only that it has not arrived yet.
    if (m.reject && p.state === 'snapshot') return;
    if (m.reject) {
      // Fast backtracking: jump to the hint, or further to the end of the hint term in our log.
      let hint = m.hint;
      if (m.hintTerm > 0) hint = this.log.findConflictByTerm(m.hint, m.hintTerm).index;
      if (p.maybeDecrTo(m.index, hint)) {
        if (p.state === 'replicate') p.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const updated = p.maybeUpdate(m.index);
    // In probe state an ack of exactly `match` also confirms where the logs agree: switch to
    // replicate (etcd does the same) instead of re-probing the same index forever.
    if (!updated && !(p.state === 'probe' && p.match === m.index)) return;
    if (p.state === 'probe') p.becomeReplicate();
    else if (p.state === 'snapshot' && p.match >= p.pendingSnapshot) {
      p.becomeProbe();
      p.becomeReplicate();
    } else if (p.state === 'replicate') p.freeInflightsTo(m.index);

    if (this.maybeCommit()) this.bcastAppend();
    else this.sendAppendLoop(m.from);
    if (m.from === this.leadTransferee && p.match === this.log.lastIndex()) {
      this.send({ type: 'timeoutNow', to: m.from });
    }
  }

  private handleHeartbeatResp(m: HeartbeatRespMsg, p: Progress): void {
    p.recentActive = true;
    p.probeSent = false;
    // A snapshot on its way is not re-sent at every heartbeat answer: a large one takes longer to
    // travel and install than a heartbeat interval, and each copy costs the leader a read of the
    // image and its encoding (docs/raft.md "Snapshot transfer"). The answer gets an entry-less
    // append at the snapshot's index instead: acknowledged once the follower holds the snapshot
    // (its own acknowledgement may have been lost), refused and ignored while it does not. A lost
    // snapshot is reported by the host (reportSnapshot); one lost without a report is sent again
    // after the resend timeout.
    if (p.state === 'snapshot') {
      const t = p.snapshotTicks < this.cfg.snapshotResendTicks ? this.log.term(p.pendingSnapshot) : undefined;
      if (t !== undefined) this.send({ type: 'app', to: m.from, index: p.pendingSnapshot, logTerm: t, entries: [], commit: this.log.committed });
      else p.becomeProbe();
    }
    // Appends may have been lost with the pipe full: free one slot so the next append goes out;
    // the follower then rejects it (gap) and the progress falls back to probing (as etcd does).
    if (p.state === 'replicate' && p.inflights.length >= this.cfg.maxInflight) p.inflights.shift();
    if (p.match < this.log.lastIndex()) this.sendAppend(m.from);
    if (m.ctx === '' || this.voters.size === 0) return;
    this.readStates.push(...this.readOnly.ack(m.ctx, m.from, (id) => this.voters.has(id), this.quorum()));
  }

  /**
   * Commit rule (Raft §5.4.2, Figure 8): the highest index stored on a majority of voters becomes
   * committed only if it is from the current term; older entries commit indirectly.
   */
  private maybeCommit(): boolean {
    const matches: number[] = [];
    for (const [id, p] of this.progress) if (this.voters.has(id)) matches.push(p.match);
    if (matches.length === 0) return false;
    matches.sort((a, b) => b - a);
    const mci = this.majorityMatch(matches);
    if (mci <= this.log.committed) return false;
    if (!this.commitsByCounting(mci)) return false;
    this.log.commitTo(mci);
    return true;
  }

  private appendEntries(es: Entry[]): number {
    let li = this.log.lastIndex();
    for (const e of es) {
      e.term = this.term;
      e.index = ++li;
    }
    this.log.append(es);
    // The leader does not count its own entries yet: its appends may leave before its own write
    // (thesis §10.2.1), so it acknowledges itself only once they are durable here (advance()).
    // A one-voter group therefore commits in the Ready after the write.
    if (this.countsOwnAppendAtOnce()) {
      this.progress.get(this.id)?.maybeUpdate(li);
      this.maybeCommit();
    }
    return li;
  }

  /** False: see appendEntries. Protected for the mutation tests only (test/sim/raft-mutants.ts). */
  protected countsOwnAppendAtOnce(): boolean {
    return false;
  }

  /**
   * Sends new entries to every follower; a follower with nothing new still gets an (empty) append
   * carrying the commit index, so followers learn of a commit at once instead of at the next
   * heartbeat (which would add up to a heartbeat interval to every follower's apply latency).
   */
  private bcastAppend(): void {
    for (const id of this.progress.keys()) {
      if (id === this.id) continue;
      if (this.sendAppendLoop(id) === 0 && this.progress.get(id)?.state === 'replicate') this.sendAppend(id, true, true);
    }
  }

  /** Keeps the pipe full in replicate state; at most one message otherwise. Returns the entry-carrying messages sent. */
  private sendAppendLoop(to: NodeId): number {
    let n = 0;
    for (let i = 0; i < this.cfg.maxInflight; i++) {
      if (!this.sendAppend(to, i === 0 && this.progress.get(to)?.state === 'probe')) break;
      n++;
    }
    return n;
  }

  private bcastHeartbeat(ctx: string): void {
    for (const [id, p] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it is known to have (it may lack the entries).
      this.send({ type: 'heartbeat', to: id, commit: Math.min(p.match, this.log.committed), ctx });
    }
  }

  /**
   * Sends one append (or a snapshot) if the follower is not paused. Returns true if it sent entries.
   * `announce`: an entry-less append only announces the commit index to a follower in replicate
   * state; it asks for no answer on success (docs/raft.md "Commit announcements").
   */
  private sendAppend(to: NodeId, sendIfEmpty = true, announce = false): boolean {
    const p = this.progress.get(to);
    if (!p || p.isPaused()) return false;
    const prev = p.next - 1;
    const prevTerm = this.log.term(prev);
    let entries: Entry[] | null = null;
    if (prevTerm !== undefined) {
      try {
        entries = this.log.slice(p.next, this.log.lastIndex() + 1, this.cfg.maxEntriesPerMsg);
      } catch (e) {
        if (!(e instanceof CompactedError)) throw e;
      }
    }
    if (prevTerm === undefined || entries === null) {
      // The entries the follower needs were compacted: send the snapshot (Raft §7).
      let snapshot;
      try {
        snapshot = this.log.snapshot();
      } catch (e) {
        if (e instanceof SnapshotUnavailableError) return false; // retried at the next heartbeat or response
        throw e;
      }
      if (snapshot.meta.index === 0) throw new Error('raft: need snapshot but none exists');
      p.becomeSnapshot(snapshot.meta.index);
      this.send({ type: 'snap', to, snapshot });
      return false;
    }
    // An empty append doubles as a probe of the follower's match (e.g. after a lost ack).
    if (entries.length === 0 && !sendIfEmpty) return false;
    if (announce && entries.length === 0) this.send({ type: 'app', to, index: prev, logTerm: prevTerm, entries, commit: this.log.committed, quiet: true });
    else this.send({ type: 'app', to, index: prev, logTerm: prevTerm, entries, commit: this.log.committed });
    p.sentEntries(prev + entries.length, entries.length);
    return entries.length > 0 && p.state === 'replicate';
  }

  private send(m: Outgoing): void {
    this.msgs.push({ ...m, from: this.id, term: m.term ?? this.term } as Message);
  }

  // ---- Ready / advance -----------------------------------------------------------------------

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  hardState(): HardState {
    const h: HardState = { term: this.term, vote: this.vote, commit: this.log.committed };
    // Written only while pending: a member that never lost its disk keeps the old record layout.
    if (this.catchUpTarget > this.log.committed) h.catchUp = this.catchUpTarget;
    return h;
  }

  hasReady(): boolean {
    const h = this.hardState();
    const s = this.softState();
    return (
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      this.log.unstableEntries().length > 0 ||
      this.log.pendingSnapshot !== null ||
      this.log.hasNextCommitted() ||
      !sameHardState(h, this.prevHard) ||
      s.lead !== this.prevSoft.lead ||
      s.role !== this.prevSoft.role
    );
  }

  ready(): Ready {
    const h = this.hardState();
    const s = this.softState();
    const hardChanged = !sameHardState(h, this.prevHard);
    const softChanged = s.lead !== this.prevSoft.lead || s.role !== this.prevSoft.role;
    const entries = this.log.unstableEntries();
    const snapshot = this.log.pendingSnapshot;
    const committedEntries = this.log.nextCommittedEntries(this.cfg.maxCommittedPerReady);
    // A raised catch-up target must be durable before the lost-log answer that comes with it leaves
    // (docs/raft.md "Lost disks"); one that lapses is written lazily, like the commit index.
    const termOrVote = h.term !== this.prevHard.term || h.vote !== this.prevHard.vote || (h.catchUp ?? 0) > (this.prevHard.catchUp ?? 0);
    const mustSync = termOrVote || entries.length > 0 || snapshot !== null;
    // In place: advance() removes exactly this many messages from the front (docs/raft.md "Coalesced messages").
    this.msgs = coalesceMessages(this.msgs, this.cfg.maxEntriesPerMsg);
    const messages = [...this.msgs];
    // With a new term, vote or snapshot every message carries state not yet durable: all wait.
    const early = !mustSync ? messages : termOrVote || snapshot ? [] : messages.filter(safeBeforeSync);
    const stable = this.log.stableIndex();
    let applicable = 0;
    while (applicable < committedEntries.length && committedEntries[applicable]!.index <= stable) applicable++;
    return {
      softState: softChanged ? s : null,
      hardState: hardChanged ? h : null,
      entries,
      snapshot,
      messages,
      committedEntries,
      readStates: [...this.readStates],
      mustSync,
      messagesBeforeSync: early,
      messagesAfterSync: early === messages ? [] : messages.filter((m) => !early.includes(m)),
      applicableBeforeSync: applicable,
    };
  }

  /** The host finished persisting / sending / applying everything in `rd`. */
  advance(rd: Ready): void {
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      this.log.stableSnapTo(rd.snapshot.meta.index);
      this.log.applied = Math.max(this.log.applied, rd.snapshot.meta.index);
    }
    const last = rd.entries.at(-1);
    if (last) {
      this.log.stableTo(last.index, last.term);
      // The leader's own acknowledgement of what it just made durable (docs/raft.md "Host loop
      // contract"): it counts toward the commit quorum only now; a new commit is announced in the next Ready.
      if (this.role === 'leader' && this.progress.get(this.id)?.maybeUpdate(Math.min(last.index, this.log.stableIndex())) && this.maybeCommit()) this.bcastAppend();
    }
    const applied = rd.committedEntries.at(-1);
    if (applied) this.log.appliedTo(applied.index);
    this.msgs.splice(0, rd.messages.length);
    this.readStates.splice(0, rd.readStates.length);
  }
}

/**
 * A message that may leave before the sender's write of the same Ready: heartbeats and their
 * answers, and the leader's appends. An append claims nothing about the leader's own disk: the
 * leader writes its log in parallel with the followers (Raft thesis §10.2.1) and counts itself
 * toward a commit only once its write is durable (advance()), so an entry commits only when a
 * majority holds it durably, whether or not the leader is among them. Answers (acks, votes) claim
 * the sender's durable state and wait.
 */
function safeBeforeSync(m: Message): boolean {
  return m.type === 'heartbeat' || m.type === 'heartbeatResp' || m.type === 'app';
}

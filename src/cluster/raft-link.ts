/**
 * Raft over the cluster transport: Ready messages travel as `RaftMessageRequest` (fire and forget:
 * Raft tolerates loss, duplication and reordering), writes taken by a follower travel to the
 * leader as `RaftProposeRequest`. Both go over the member stream to the peer (one authenticated,
 * ordered stream per peer, docs/raft.md "Raft transport"): the messages of one Ready to one peer
 * are one frame, a snapshot is a frame of its own (sent in chunks). Mode 'unary' sends each batch
 * as a signed unary request instead (the transport before streams; the handlers accept both).
 * Also keeps the Raft configuration in step with the member list: the leader adds members that
 * appeared and removes members that left, one at a time.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { NacosError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { NotLeaderError, type RaftPeerLink, type RaftStore } from '../persistence/raft-store.js';
import type { Message } from '../raft/types.js';
import { parseProposeReply, parseProposeRequest, parseRaftMessages } from './raft-wire.js';
import { ClusterRequestError, type ClusterTransport } from './transport/index.js';

export const RAFT_MESSAGE = 'RaftMessageRequest';
export const RAFT_PROPOSE = 'RaftProposeRequest';

export type RaftTransportMode = 'stream' | 'unary';

export interface RaftLinkStats {
  messagesSent: number;
  messagesDropped: number;
  messagesReceived: number;
  proposalsServed: number;
}

export class RaftLink implements RaftPeerLink {
  readonly stats: RaftLinkStats = { messagesSent: 0, messagesDropped: 0, messagesReceived: 0, proposalsServed: 0 };
  private reconcileTimer: TimerHandle | null = null;

  constructor(
    private readonly transport: ClusterTransport,
    private readonly store: RaftStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly messageTimeoutMs: number,
    private readonly mode: RaftTransportMode = 'stream',
  ) {
    transport.handle(RAFT_MESSAGE, (body, from) => {
      const msgs = parseRaftMessages(body);
      if ('error' in msgs) throw new NacosError(400, msgs.error);
      const host = store.raft;
      // A message must come from the member that sent it (the transport authenticated `from`).
      const ok = msgs.filter((m) => m.from === from);
      this.stats.messagesReceived += ok.length;
      if (host) host.receive(ok);
      return {};
    });
    // A broken stream to the leader starts the election at once instead of after the election
    // timeout (docs/raft.md "Leader lost"); the core ignores reports about any other peer.
    transport.onPeerLost((peer, detail) => {
      const host = store.raft;
      if (!host || host.node.lead !== peer) return;
      this.log.info({ peer, detail }, 'raft: connection to the leader lost; campaigning without waiting for the election timeout');
      host.reportUnreachable(peer);
      // The (pre-)votes go to the other voters, to whom a follower sent nothing so far: open those
      // streams now, so the first pre-vote does not wait for a connection and its handshake.
      for (const v of host.node.confState().voters) if (v !== peer && v !== host.node.id) transport.warmStream(v);
    });
    transport.handle(RAFT_PROPOSE, async (body) => {
      const req = parseProposeRequest(body);
      if ('error' in req) throw new NacosError(400, req.error);
      try {
        const r = await store.proposeAsLeader(req.command);
        this.stats.proposalsServed++;
        return { ok: true, index: r.index };
      } catch (e) {
        if (e instanceof NotLeaderError) return { ok: false, leader: e.leader };
        if (e instanceof NacosError && e.status === 503) return { ok: false, leader: '' };
        throw e;
      }
    });
  }

  send(messages: Message[]): void {
    for (const [peer, batches] of framesByPeer(messages)) {
      for (const msgs of batches) this.deliver(peer, msgs);
    }
  }

  private deliver(peer: string, msgs: Message[]): void {
    this.stats.messagesSent += msgs.length;
    if (this.mode === 'stream') {
      if (!this.transport.send(peer, RAFT_MESSAGE, { messages: msgs })) this.stats.messagesDropped += msgs.length;
      return;
    }
    this.transport.request(peer, RAFT_MESSAGE, { messages: msgs }, this.messageTimeoutMs).catch((e: unknown) => {
      this.stats.messagesDropped += msgs.length;
      this.log.debug({ peer, err: e instanceof Error ? e.message : String(e) }, 'raft messages not delivered');
    });
  }

  async forward(leader: string, command: string, timeoutMs: number): Promise<{ index: number }> {
    let body: Record<string, unknown>;
    try {
      body = this.mode === 'stream'
        ? await this.transport.streamRequest(leader, RAFT_PROPOSE, { command }, timeoutMs)
        : await this.transport.request(leader, RAFT_PROPOSE, { command }, timeoutMs);
    } catch (e) {
      // Not sent, or refused before reaching the handler: certainly not proposed, retry.
      if (e instanceof ClusterRequestError && ['unreachable', 'refused-connection', 'queue-full', 'rejected'].includes(e.reason)) {
        throw new NotLeaderError('');
      }
      if (e instanceof ClusterRequestError && e.reason === 'remote-error' && e.code !== undefined && e.code < 500) {
        throw new NacosError(e.code, e.message);
      }
      throw e;
    }
    const r = parseProposeReply(body);
    if ('error' in r) throw new NacosError(500, r.error);
    if (!r.ok) throw new NotLeaderError(r.leader);
    return { index: r.index };
  }

  /** Keeps the Raft voters equal to the member list (leader only, one change at a time). */
  startReconciling(members: () => readonly string[], intervalMs: number): void {
    this.reconcileTimer = this.clock.setInterval(() => this.reconcile(members()), intervalMs);
  }

  private reconcile(members: readonly string[]): void {
    const host = this.store.raft;
    if (!host || host.node.role !== 'leader' || members.length === 0) return;
    const conf = host.node.confState();
    // A new member joins as a learner and becomes a voter once it holds the committed log (the
    // core refuses to promote it before: 'learnerNotReady', docs/raft.md "Membership changes").
    const add = members.find((m) => !conf.voters.includes(m));
    const remove = [...conf.voters, ...conf.learners].find((v) => !members.includes(v));
    const change =
      add !== undefined
        ? ({ type: conf.learners.includes(add) ? 'addVoter' : 'addLearner', node: add } as const)
        : remove !== undefined
          ? ({ type: 'removeNode', node: remove } as const)
          : null;
    if (!change) return;
    const r = host.proposeConfChange(change);
    if (r.ok) this.log.info({ change, index: r.index }, 'raft configuration change proposed (member list changed)');
    else if (r.reason === 'learnerNotReady') this.log.debug({ node: add }, 'raft learner still catching up; promoted once it holds the committed log');
  }

  stop(): void {
    this.reconcileTimer?.cancel();
  }
}

/**
 * The frames of one Ready, per peer: every message to the peer in one frame, except snapshots,
 * which get a frame each (chunked by the stream, so they do not hold up the small messages).
 * Heartbeats to the same peer with the same ReadIndex context are coalesced into the last one
 * (it carries the highest commit; a heartbeat is a pure "I am still leader" otherwise).
 */
export function framesByPeer(messages: readonly Message[]): Map<string, Message[][]> {
  const out = new Map<string, Message[][]>();
  for (const m of messages) {
    let batches = out.get(m.to);
    if (!batches) out.set(m.to, (batches = [[]]));
    if (m.type === 'snap') {
      batches.push([m]);
      continue;
    }
    const main = batches[0]!;
    if (m.type === 'heartbeat') {
      const i = main.findIndex((x) => x.type === 'heartbeat' && x.ctx === m.ctx);
      if (i >= 0) main.splice(i, 1);
    }
    main.push(m);
  }
  for (const [peer, batches] of out) {
    if (batches[0]!.length === 0) batches.shift();
    if (batches.length === 0) out.delete(peer);
  }
  return out;
}

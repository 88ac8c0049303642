/**
 * Raft over the cluster transport: Ready messages travel as `RaftMessageRequest` (fire and forget:
 * Raft tolerates loss, duplication and reordering), writes taken by a follower travel to the
 * leader as `RaftProposeRequest`. Also keeps the Raft configuration in step with the member
 * list: the leader adds members that appeared and removes members that left, one at a time.
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
    const byPeer = new Map<string, Message[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to);
      if (list) list.push(m);
      else byPeer.set(m.to, [m]);
    }
    for (const [peer, msgs] of byPeer) {
      this.stats.messagesSent += msgs.length;
      this.transport.request(peer, RAFT_MESSAGE, { messages: msgs }, this.messageTimeoutMs).catch((e: unknown) => {
        this.stats.messagesDropped += msgs.length;
        this.log.debug({ peer, err: e instanceof Error ? e.message : String(e) }, 'raft messages not delivered');
      });
    }
  }

  async forward(leader: string, command: string, timeoutMs: number): Promise<{ index: number }> {
    let body: Record<string, unknown>;
    try {
      body = await this.transport.request(leader, RAFT_PROPOSE, { command }, timeoutMs);
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
    const add = members.find((m) => !conf.voters.includes(m));
    const remove = conf.voters.find((v) => !members.includes(v));
    const change = add !== undefined ? ({ type: 'addVoter', node: add } as const) : remove !== undefined ? ({ type: 'removeNode', node: remove } as const) : null;
    if (!change) return;
    const r = host.proposeConfChange(change);
    if (r.ok) this.log.info({ change, index: r.index }, 'raft configuration change proposed (member list changed)');
  }

  stop(): void {
    this.reconcileTimer?.cancel();
  }
}

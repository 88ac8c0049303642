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
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import type { Clock, TimerHandle } from '../core/clock.js';
import { NacosError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { NotLeaderError, type ForwardOutcome, type RaftPeerLink, type RaftStore } from '../persistence/raft-store.js';
import type { Message, SnapshotMsg } from '../raft/types.js';
import { MAX_PROPOSE_BATCH, parseProposeBatchReply, parseProposeBatchRequest, parseProposeReply, parseProposeRequest, parseRaftMessages, parseSnapshotRequest, type SnapshotRequest } from './raft-wire.js';
import { ClusterRequestError, type ClusterTransport } from './transport/index.js';

export const RAFT_MESSAGE = 'RaftMessageRequest';
export const RAFT_PROPOSE = 'RaftProposeRequest';
export const RAFT_PROPOSE_BATCH = 'RaftProposeBatchRequest';
/** A snapshot (InstallSnapshot) with its image compressed (docs/raft.md "Snapshot transfer"). */
export const RAFT_SNAPSHOT = 'RaftSnapshotRequest';

const deflateRawAsync = promisify(deflateRaw);
const inflateRawAsync = promisify(inflateRaw);
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** The cluster transport's answer to a request type the peer has no handler for (Nacos: 302). */
const NO_HANDLER_CODE = 302;
/** How long a leader that refused a batch (older build) gets single forwards before we try again. */
const LEGACY_RECHECK_MS = 60_000;
/** Most command text in one batched forward: one stream chunk (DEFAULT_STREAM_LIMITS.chunkBytes). */
const MAX_BATCH_CHARS = 256 * 1024;

/** What the link uses of the cluster transport and of the store (tests give fakes). */
export type RaftLinkTransport = Pick<ClusterTransport, 'handle' | 'send' | 'request' | 'streamRequest' | 'onPeerLost' | 'warmStream'>;
export type RaftLinkStore = Pick<RaftStore, 'raft' | 'proposeAsLeader' | 'proposeBatchAsLeader'> & Partial<Pick<RaftStore, 'snapshotImageBytes'>>;

interface PendingForward {
  command: string;
  timeoutMs: number;
  resolve(r: { index: number }): void;
  reject(e: unknown): void;
}

export type RaftTransportMode = 'stream' | 'unary';

export interface SnapshotTransferOptions {
  /** Time for a snapshot to reach the follower and be confirmed before it counts as lost (key nomen.raft.snapshot.send-timeout-ms). */
  sendTimeoutMs: number;
  /** Largest image accepted from a leader, uncompressed (key nomen.raft.snapshot.max-bytes). */
  maxImageBytes: number;
}

/** The longest string Node.js can hold: the in-memory image cannot be larger. */
export const MAX_IMAGE_BYTES = 536_870_888;
const DEFAULT_SNAPSHOT_TRANSFER: SnapshotTransferOptions = { sendTimeoutMs: 60_000, maxImageBytes: MAX_IMAGE_BYTES };

export interface RaftLinkStats {
  messagesSent: number;
  messagesDropped: number;
  messagesReceived: number;
  proposalsServed: number;
  /** Forward requests sent by this member as a follower (single and batched: CALL frames). */
  forwardRequests: number;
  /** Of those, batched ones (RaftProposeBatchRequest). */
  batchesForwarded: number;
  /**
   * Snapshot messages handed to the transport (InstallSnapshot), and the size of the images they
   * carried (characters; UTF-8 bytes for an image read from the snapshot file).
   */
  snapshotsSent: number;
  snapshotChars: number;
  /** Compressed image bytes of the snapshots sent as RaftSnapshotRequest. */
  snapshotWireBytes: number;
  /** Snapshots not delivered (reported to the core, which sends them again later). */
  snapshotsFailed: number;
  /** Snapshots received as RaftSnapshotRequest and handed to the core. */
  snapshotsReceived: number;
}

export class RaftLink implements RaftPeerLink {
  readonly stats: RaftLinkStats = { messagesSent: 0, messagesDropped: 0, messagesReceived: 0, proposalsServed: 0, forwardRequests: 0, batchesForwarded: 0, snapshotsSent: 0, snapshotChars: 0, snapshotWireBytes: 0, snapshotsFailed: 0, snapshotsReceived: 0 };
  private reconcileTimer: TimerHandle | null = null;
  /** Forwards of this event-loop turn, per leader, not sent yet. */
  private readonly pending = new Map<string, PendingForward[]>();
  /** Leaders that answered a batch with "no handler": single forwards until then (monotonic ms). */
  private readonly legacyUntil = new Map<string, number>();
  /** Followers that answered a RaftSnapshotRequest with "no handler": uncompressed snapshots until then (monotonic ms). */
  private readonly plainSnapshotsUntil = new Map<string, number>();

  constructor(
    private readonly transport: RaftLinkTransport,
    private readonly store: RaftLinkStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly messageTimeoutMs: number,
    private readonly mode: RaftTransportMode = 'stream',
    /** Runs `fn` at the end of this event-loop turn (the forwards queued until then travel together). */
    private readonly defer: (fn: () => void) => void = (fn) => void setImmediate(fn),
    private readonly snap: SnapshotTransferOptions = DEFAULT_SNAPSHOT_TRANSFER,
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
    transport.handle(RAFT_SNAPSHOT, async (body, from) => {
      const req = parseSnapshotRequest(body, this.snap.maxImageBytes);
      if ('error' in req) throw new NacosError(400, req.error);
      const m = await expandSnapshot(req, this.snap.maxImageBytes);
      if ('error' in m) throw new NacosError(400, m.error);
      // Like any Raft message: only from the member that sent it (the transport authenticated `from`).
      if (m.from !== from) throw new NacosError(403, `snapshot from ${m.from} arrived from ${from}`);
      this.stats.snapshotsReceived++;
      this.stats.messagesReceived++;
      const host = store.raft;
      if (!host) return {};
      host.receive([m]);
      // Answered once the snapshot is installed here (durable and restored; or this member already
      // had the entries), as etcd's follower saves a snapshot before answering: a member that dies
      // before then breaks the stream, and the leader, told the snapshot was lost, sends it again
      // at the next heartbeat answer instead of waiting for the resend timeout (docs/raft.md
      // "Snapshot transfer").
      try {
        await host.waitApplied(m.snapshot.meta.index, null, this.snap.sendTimeoutMs);
      } catch (e) {
        throw new NacosError(500, `snapshot ${m.snapshot.meta.index} not installed: ${e instanceof Error ? e.message : String(e)}`);
      }
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
    transport.handle(RAFT_PROPOSE_BATCH, async (body) => {
      const req = parseProposeBatchRequest(body);
      if ('error' in req) throw new NacosError(400, req.error);
      let results: ForwardOutcome[];
      try {
        results = await store.proposeBatchAsLeader(req.commands);
      } catch (e) {
        // Not started yet (503): nothing was proposed, every command may be retried.
        if (e instanceof NacosError && e.status === 503) return { results: req.commands.map(() => ({ ok: false, leader: '' })) };
        throw e;
      }
      this.stats.proposalsServed += results.filter((r) => r.ok).length;
      return { results };
    });
  }

  send(messages: Message[]): void {
    for (const [peer, batches] of framesByPeer(messages)) {
      for (const msgs of batches) this.deliver(peer, msgs);
    }
  }

  private deliver(peer: string, msgs: Message[]): void {
    this.stats.messagesSent += msgs.length;
    const snap = msgs.length === 1 && msgs[0]!.type === 'snap' ? msgs[0] : null;
    if (snap) {
      this.stats.snapshotsSent++;
      if ((this.plainSnapshotsUntil.get(peer) ?? -Infinity) <= this.clock.monotonic()) void this.sendSnapshot(peer, snap);
      else void this.sendPlainSnapshot(peer, snap);
      return;
    }
    this.deliverPlain(peer, msgs, false);
  }

  /**
   * The snapshot's image as UTF-8 bytes: read from the storage (off the event loop) when the core
   * handed it out without it, else encoded from the message.
   */
  private async imageBytes(m: SnapshotMsg): Promise<Buffer> {
    if (!m.snapshot.imageInStorage) return Buffer.from(m.snapshot.data, 'utf8');
    if (!this.store.snapshotImageBytes) throw new Error('no storage to read the snapshot image from');
    return this.store.snapshotImageBytes(m.snapshot.meta.index);
  }

  /**
   * A snapshot for an older follower (uncompressed, in a RaftMessageRequest): an image still in the
   * storage is read first (then sent as it is); one in the message leaves at once.
   */
  private async sendPlainSnapshot(peer: string, m: SnapshotMsg): Promise<void> {
    let data = m.snapshot.data;
    if (m.snapshot.imageInStorage) {
      try {
        data = (await this.imageBytes(m)).toString('utf8');
      } catch (e) {
        return this.snapshotLost(peer, `reading the image failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.stats.snapshotChars += data.length;
    this.deliverPlain(peer, [{ ...m, snapshot: { meta: m.snapshot.meta, data } }], true);
  }

  /** Raft messages as they are (RaftMessageRequest); a snapshot among them that is refused at once is reported lost. */
  private deliverPlain(peer: string, msgs: Message[], isSnapshot: boolean): void {
    // Never an image-less snapshot on the wire: the follower would install an empty state.
    if (msgs.some((m) => m.type === 'snap' && m.snapshot.imageInStorage === true)) {
      this.stats.messagesDropped += msgs.length;
      return this.snapshotLost(peer, 'the snapshot image was not read from the storage');
    }
    if (this.mode === 'stream') {
      if (this.transport.send(peer, RAFT_MESSAGE, { messages: msgs })) return;
      this.stats.messagesDropped += msgs.length;
      if (isSnapshot) this.snapshotLost(peer, 'the stream to the peer refused it');
      return;
    }
    this.transport.request(peer, RAFT_MESSAGE, { messages: msgs }, isSnapshot ? this.snap.sendTimeoutMs : this.messageTimeoutMs).catch((e: unknown) => {
      this.stats.messagesDropped += msgs.length;
      this.log.debug({ peer, err: e instanceof Error ? e.message : String(e) }, 'raft messages not delivered');
      if (isSnapshot) this.snapshotLost(peer, e instanceof Error ? e.message : String(e));
    });
  }

  /**
   * A snapshot travels as RaftSnapshotRequest (docs/raft.md "Snapshot transfer"): the image
   * compressed off the event loop (raw deflate on libuv's pool), a request the follower answers
   * once its core has the snapshot, so a loss is known and reported to the core at once instead of
   * waiting for the resend timeout. A follower without the handler (an older build) gets it
   * uncompressed, as before, and so for a while.
   */
  private async sendSnapshot(peer: string, m: SnapshotMsg): Promise<void> {
    let body: SnapshotRequest;
    try {
      const raw = await this.imageBytes(m);
      this.stats.snapshotChars += m.snapshot.imageInStorage ? raw.length : m.snapshot.data.length;
      const z = await deflateRawAsync(raw, { level: 1 });
      body = { message: { ...m, snapshot: { meta: m.snapshot.meta, data: '' } }, bytes: raw.length, deflated: z.toString('base64') };
    } catch (e) {
      return this.snapshotLost(peer, `reading or compressing the image failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.stats.snapshotWireBytes += body.deflated.length;
    try {
      const send = this.mode === 'stream' ? this.transport.streamRequest.bind(this.transport) : this.transport.request.bind(this.transport);
      await send(peer, RAFT_SNAPSHOT, body, this.snap.sendTimeoutMs);
    } catch (e) {
      if (e instanceof ClusterRequestError && e.reason === 'remote-error' && e.code === NO_HANDLER_CODE) {
        this.plainSnapshotsUntil.set(peer, this.clock.monotonic() + LEGACY_RECHECK_MS);
        this.log.info({ peer }, 'raft: the peer does not take compressed snapshots (older build); sending it uncompressed');
        void this.sendPlainSnapshot(peer, m);
        return;
      }
      if (e instanceof ClusterRequestError && e.reason === 'remote-error') {
        // The follower refused it (too large, invalid): sending it again at once would fail alike, so
        // the core's resend timeout decides when to try again.
        this.stats.snapshotsFailed++;
        this.log.warn({ peer, err: e.message }, 'raft: the follower refused the snapshot; trying again after nomen.raft.snapshot.send-timeout-ms');
        return;
      }
      this.snapshotLost(peer, e instanceof Error ? e.message : String(e));
    }
  }

  private snapshotLost(peer: string, why: string): void {
    this.stats.snapshotsFailed++;
    this.log.info({ peer, why }, 'raft: snapshot not delivered; the leader sends it again once the follower answers');
    this.store.raft?.reportSnapshot(peer, 'failed');
  }

  /**
   * Forwards a command to the leader. Commands forwarded to the same leader in one event-loop turn
   * travel together (docs/raft.md "Forwarded writes"): one `RaftProposeBatchRequest` with the
   * list, proposed in one Ready, each answered on its own. A lone command, and every command to a
   * leader that answered a batch with "no handler" (an older build) in the last minute, travels as
   * the original single `RaftProposeRequest`.
   */
  forward(leader: string, command: string, timeoutMs: number): Promise<{ index: number }> {
    return new Promise((resolve, reject) => {
      let queue = this.pending.get(leader);
      if (!queue) {
        this.pending.set(leader, (queue = []));
        this.defer(() => this.flush(leader));
      }
      queue.push({ command, timeoutMs, resolve, reject });
    });
  }

  private flush(leader: string): void {
    const queue = this.pending.get(leader) ?? [];
    this.pending.delete(leader);
    const legacy = (this.legacyUntil.get(leader) ?? -Infinity) > this.clock.monotonic();
    for (const batch of batchesOf(queue)) {
      if (batch.length === 1 || legacy) {
        for (const p of batch) this.forwardOne(leader, p.command, p.timeoutMs).then(p.resolve, p.reject);
      } else {
        void this.forwardBatch(leader, batch);
      }
    }
  }

  private async forwardOne(leader: string, command: string, timeoutMs: number): Promise<{ index: number }> {
    let body: Record<string, unknown>;
    try {
      body = await this.call(leader, RAFT_PROPOSE, { command }, timeoutMs);
    } catch (e) {
      throw forwardFailure(e);
    }
    const r = parseProposeReply(body);
    if ('error' in r) throw new NacosError(500, r.error);
    if (!r.ok) throw new NotLeaderError(r.leader);
    return { index: r.index };
  }

  /** Never rejects: every command of the batch is settled on its own. */
  private async forwardBatch(leader: string, batch: readonly PendingForward[]): Promise<void> {
    // The request waits as long as the most patient command; the others give up at their own
    // timeout with the same "no answer" a single request's timeout gives (outcome unknown).
    const timeoutMs = Math.max(...batch.map((p) => p.timeoutMs));
    const open = new Set(batch);
    const settle = (p: PendingForward, f: () => void): void => {
      if (open.delete(p)) f();
    };
    const timers = batch
      .filter((p) => p.timeoutMs < timeoutMs)
      .map((p) =>
        this.clock.setTimeout(() => settle(p, () => p.reject(new ClusterRequestError('timeout', `${leader}: no answer to the forwarded write within ${p.timeoutMs} ms`))), p.timeoutMs),
      );
    this.stats.batchesForwarded++;
    try {
      const body = await this.call(leader, RAFT_PROPOSE_BATCH, { commands: batch.map((p) => p.command) }, timeoutMs);
      const results = parseProposeBatchReply(body, batch.length);
      batch.forEach((p, i) => {
        const r = Array.isArray(results) ? results[i]! : { ok: false as const, code: 500, message: results.error };
        settle(p, () => (r.ok ? p.resolve({ index: r.index }) : p.reject('leader' in r ? new NotLeaderError(r.leader) : outcomeError(r.code, r.message))));
      });
    } catch (e) {
      if (e instanceof ClusterRequestError && e.reason === 'remote-error' && e.code === NO_HANDLER_CODE) {
        // An older leader: nothing was proposed. Send these one by one, and so for a while.
        this.legacyUntil.set(leader, this.clock.monotonic() + LEGACY_RECHECK_MS);
        this.log.info({ leader }, 'raft: the leader does not take batched forwards (older build); forwarding one command per request');
        for (const p of open) this.forwardOne(leader, p.command, p.timeoutMs).then((r) => settle(p, () => p.resolve(r)), (x: unknown) => settle(p, () => p.reject(x)));
        return;
      }
      const err = forwardFailure(e);
      for (const p of [...open]) settle(p, () => p.reject(err));
    } finally {
      for (const t of timers) t.cancel();
    }
  }

  private call(leader: string, type: string, body: object, timeoutMs: number): Promise<Record<string, unknown>> {
    this.stats.forwardRequests++;
    return this.mode === 'stream' ? this.transport.streamRequest(leader, type, body, timeoutMs) : this.transport.request(leader, type, body, timeoutMs);
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

/** Not sent, or refused before reaching the handler: certainly not proposed (retry). */
function forwardFailure(e: unknown): unknown {
  if (e instanceof ClusterRequestError && ['unreachable', 'refused-connection', 'queue-full', 'rejected'].includes(e.reason)) return new NotLeaderError('');
  if (e instanceof ClusterRequestError && e.reason === 'remote-error' && e.code !== undefined && e.code < 500) return new NacosError(e.code, e.message);
  return e;
}

/** A command's own error in a batch reply: a refusal (< 500) as is, anything else has an unknown outcome. */
function outcomeError(code: number, message: string): NacosError {
  return code < 500 ? new NacosError(code, message) : new NacosError(500, `raft write failed on the leader: ${message}`);
}

/** The queued forwards in request-sized groups (at most MAX_PROPOSE_BATCH commands and MAX_BATCH_CHARS). */
function batchesOf(queue: readonly PendingForward[]): PendingForward[][] {
  const out: PendingForward[][] = [];
  let chars = Infinity;
  for (const p of queue) {
    const last = out[out.length - 1];
    if (!last || last.length >= MAX_PROPOSE_BATCH || chars + p.command.length > MAX_BATCH_CHARS) {
      out.push([p]);
      chars = p.command.length;
    } else {
      last.push(p);
      chars += p.command.length;
    }
  }
  return out;
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

/** The snapshot message of a RaftSnapshotRequest, its image inflated (bounded) and checked. */
async function expandSnapshot(req: SnapshotRequest, maxImageBytes: number): Promise<SnapshotMsg | { error: string }> {
  let raw: Buffer;
  try {
    raw = await inflateRawAsync(Buffer.from(req.deflated, 'base64'), { maxOutputLength: Math.min(maxImageBytes, req.bytes) + 1 });
  } catch (e) {
    return { error: `invalid snapshot image: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (raw.length !== req.bytes) return { error: `invalid snapshot image: ${raw.length} bytes inflated, ${req.bytes} announced` };
  let data: string;
  try {
    data = utf8.decode(raw);
  } catch {
    return { error: 'invalid snapshot image: not UTF-8' };
  }
  return { ...req.message, snapshot: { meta: req.message.snapshot.meta, data } };
}

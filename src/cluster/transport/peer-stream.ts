/**
 * The client side of one member stream: the long-lived, ordered, authenticated channel this member
 * uses to send to one peer (docs/raft.md "Raft transport"). Opened on first use, authenticated
 * once (stream-auth.ts), then frames flow without per-message signatures.
 *
 *  - Ordered: frames leave in the order they were given (chunks of a large frame interleave with
 *    later small frames, so heartbeats never wait behind a snapshot; the receiver reassembles).
 *  - Bounded: at most `maxQueueFrames` / `maxQueueBytes` wait (while opening, or while the
 *    connection pushes back); more are dropped and counted, never queued without bound. Large
 *    frames go out chunk by chunk, each after the previous one was taken (back-pressure), at most
 *    `maxTransfers` of them queued.
 *  - Lossy on failure: when the stream breaks, queued one-way frames are dropped (Raft tolerates
 *    loss), calls not yet written reject 'unreachable' (certainly not delivered), calls written and
 *    unanswered reject 'timeout' (outcome unknown). The next use after a back-off (doubling from
 *    `backoffMs.initial` to `backoffMs.max`) opens a new stream.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { ClusterRequestError } from './errors.js';
import { answerChallenge, verifyWelcome, type Hello } from './stream-auth.js';
import { chunkFrames, decodeFrame, encodeHandshake, encodeMessage, FRAME } from './stream-frame.js';

/** What a dial returns: a member stream on an HTTP/2 stream (client-pool.ts), a grpc-js ClientDuplexStream, or a test double. */
export interface DuplexLike {
  write(frame: Buffer): boolean;
  end(): void;
  cancel(): void;
  on(event: 'data', l: (frame: Buffer) => void): unknown;
  on(event: 'drain', l: () => void): unknown;
  on(event: 'error', l: (e: Error) => void): unknown;
  on(event: 'close' | 'end', l: () => void): unknown;
}

export interface PeerStreamOptions {
  peer: string;
  self: string;
  secret: string;
  clock: Clock;
  dial: () => DuplexLike;
  /** 32 fresh random bytes as hex. */
  nonce: () => string;
  handshakeTimeoutMs: number;
  maxQueueFrames: number;
  maxQueueBytes: number;
  /** Frames larger than this travel as chunks of this size. */
  chunkBytes: number;
  maxTransfers: number;
  backoffMs: { initial: number; max: number };
  /** A reply: resolves the call with the body, or rejects it with the failure. */
  readReply: (type: string, body: Buffer) => Record<string, unknown> | ClusterRequestError;
  /**
   * 'broken': an open stream broke — reset, ended or failed by the connection or the peer, not
   * closed by us (failed reopen attempts are not reported).
   */
  onEvent?: (event: 'open' | 'broken', detail: string) => void;
}

export interface PeerStreamStats {
  state: PeerStream['state'];
  opens: number;
  framesSent: number;
  framesDropped: number;
  chunksSent: number;
  queuedFrames: number;
}

interface PendingCall {
  resolve(v: Record<string, unknown>): void;
  reject(e: ClusterRequestError): void;
  timer: TimerHandle;
  written: boolean;
}

interface Transfer {
  chunks: Generator<Buffer>;
  /** The CALL this frame is (0: a one-way frame). */
  callId: number;
}

export class PeerStream {
  state: 'idle' | 'opening' | 'open' | 'backoff' | 'closed' = 'idle';
  private call: DuplexLike | null = null;
  private hello: Hello | null = null;
  private challengeNonce = '';
  private handshakeTimer: TimerHandle | null = null;
  private retryAt = 0;
  private backoff: number;
  /** Small frames waiting, in order; `callId` marks a CALL frame. */
  private queue: { frame: Buffer; callId: number }[] = [];
  private queueBytes = 0;
  private transfers: Transfer[] = [];
  private nextTransfer = 1;
  private blocked = false;
  private readonly calls = new Map<number, PendingCall>();
  private nextCallId = 1;
  readonly stats = { opens: 0, framesSent: 0, framesDropped: 0, chunksSent: 0 };

  constructor(private readonly o: PeerStreamOptions) {
    this.backoff = o.backoffMs.initial;
  }

  /** Queues a one-way frame; false when it was dropped (stream down, or the queue full). */
  send(type: string, body: string): boolean {
    if (!this.ensureOpening()) return this.drop(1);
    const frame = encodeMessage(FRAME.SEND, 0, type, body);
    return this.enqueue(frame, 0);
  }

  /** A request with an answer; rejects 'unreachable' when it certainly was not delivered. */
  request(type: string, body: string, timeoutMs: number): Promise<Record<string, unknown>> {
    if (!this.ensureOpening()) return Promise.reject(new ClusterRequestError('unreachable', `stream to ${this.o.peer} is down (reconnecting)`));
    const id = this.nextCallId;
    this.nextCallId = this.nextCallId >= 0xffffffff ? 1 : this.nextCallId + 1;
    const frame = encodeMessage(FRAME.CALL, id, type, body);
    return new Promise((resolve, reject) => {
      const timer = this.o.clock.setTimeout(() => {
        const c = this.calls.get(id);
        if (!c) return;
        this.calls.delete(id);
        reject(c.written ? new ClusterRequestError('timeout', `request to ${this.o.peer} timed out`) : new ClusterRequestError('unreachable', `no stream to ${this.o.peer} within the deadline`));
      }, timeoutMs);
      this.calls.set(id, { resolve, reject, timer, written: false });
      if (!this.enqueue(frame, id)) this.settle(id, new ClusterRequestError('queue-full', `stream queue to ${this.o.peer} is full`));
    });
  }

  /** Opens the stream now if it is down and not backing off, so that the next frame does not wait for the handshake. */
  warm(): void {
    this.ensureOpening();
  }

  close(): void {
    this.breakStream('closed locally', 'closed');
  }

  snapshotStats(): PeerStreamStats {
    return { state: this.state, ...this.stats, queuedFrames: this.queue.length };
  }

  /** True when frames may be queued: the stream is open or opening (a new open starts here). */
  private ensureOpening(): boolean {
    if (this.state === 'open' || this.state === 'opening') return true;
    if (this.state === 'closed') return false;
    if (this.state === 'backoff' && this.o.clock.monotonic() < this.retryAt) return false;
    return this.open();
  }

  /** Dials; false when the dial failed at once. */
  private open(): boolean {
    this.state = 'opening';
    let call: DuplexLike;
    try {
      call = this.o.dial();
    } catch (e) {
      this.breakStream(`dial failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    this.call = call;
    this.hello = null;
    call.on('data', (f: Buffer) => {
      if (this.call === call) this.onFrame(f);
    });
    call.on('drain', () => {
      if (this.call === call) {
        this.blocked = false;
        this.pump();
      }
    });
    call.on('error', (e: Error) => {
      if (this.call === call) this.breakStream(e.message);
    });
    call.on('end', () => {
      if (this.call === call) this.breakStream('ended by the peer');
    });
    call.on('close', () => {
      if (this.call === call) this.breakStream('closed');
    });
    this.handshakeTimer = this.o.clock.setTimeout(() => {
      if (this.call === call && this.state === 'opening') this.breakStream(`not authenticated within ${this.o.handshakeTimeoutMs} ms`);
    }, this.o.handshakeTimeoutMs);
    return true;
  }

  private onFrame(buf: Buffer): void {
    const f = decodeFrame(buf);
    if ('error' in f) return this.breakStream(`bad frame from the peer: ${f.error}`);
    if (this.state === 'opening') {
      if (this.hello === null && f.kind === FRAME.CHALLENGE) {
        const h = answerChallenge(this.o.secret, this.o.self, this.o.peer, f.json, this.o.nonce());
        if ('error' in h) return this.breakStream(h.error);
        this.hello = h;
        this.challengeNonce = (f.json as { nonce: string }).nonce;
        this.call!.write(encodeHandshake(FRAME.HELLO, h));
        return;
      }
      if (this.hello !== null && f.kind === FRAME.WELCOME && verifyWelcome(this.o.secret, this.hello, this.challengeNonce, f.json)) {
        this.handshakeTimer?.cancel();
        this.state = 'open';
        this.backoff = this.o.backoffMs.initial;
        this.stats.opens++;
        this.o.onEvent?.('open', this.o.peer);
        this.pump();
        return;
      }
      return this.breakStream('the peer failed the stream-open handshake');
    }
    if (f.kind !== FRAME.REPLY) return this.breakStream(`unexpected frame kind ${f.kind} from the peer`);
    const c = this.calls.get(f.id);
    if (!c) return; // timed out meanwhile
    this.settle(f.id, this.o.readReply(f.type, f.body));
  }

  private settle(id: number, outcome: Record<string, unknown> | ClusterRequestError): void {
    const c = this.calls.get(id);
    if (!c) return;
    this.calls.delete(id);
    c.timer.cancel();
    if (outcome instanceof ClusterRequestError) c.reject(outcome);
    else c.resolve(outcome);
  }

  private enqueue(frame: Buffer, callId: number): boolean {
    if (frame.length > this.o.chunkBytes) {
      if (this.transfers.length >= this.o.maxTransfers) return this.drop(1);
      this.transfers.push({ chunks: chunkFrames(frame, this.nextTransfer, this.o.chunkBytes), callId });
      this.nextTransfer = this.nextTransfer >= 0xffffffff ? 1 : this.nextTransfer + 1;
    } else {
      if (this.queue.length >= this.o.maxQueueFrames || this.queueBytes + frame.length > this.o.maxQueueBytes) return this.drop(1);
      this.queue.push({ frame, callId });
      this.queueBytes += frame.length;
    }
    this.pump();
    return true;
  }

  /** Writes while the connection takes them: small frames first, then the next chunk. */
  private pump(): void {
    const call = this.call;
    if (this.state !== 'open' || !call) return;
    while (!this.blocked) {
      let out: Buffer;
      const q = this.queue.shift();
      if (q) {
        this.queueBytes -= q.frame.length;
        if (!this.markWritten(q.callId)) continue; // a call that timed out while queued
        out = q.frame;
        this.stats.framesSent++;
      } else {
        const t = this.transfers[0];
        if (!t) return;
        const next = t.chunks.next();
        if (next.done) {
          this.transfers.shift();
          this.stats.framesSent++;
          continue;
        }
        if (!this.markWritten(t.callId)) {
          this.transfers.shift();
          continue;
        }
        t.callId = 0;
        out = next.value;
        this.stats.chunksSent++;
      }
      if (!call.write(out)) this.blocked = true;
      if (this.call !== call) return; // a synchronous failure broke the stream
    }
  }

  /** A CALL frame is about to be written: false when the call is gone (timed out). */
  private markWritten(callId: number): boolean {
    if (callId === 0) return true;
    const c = this.calls.get(callId);
    if (!c) return false;
    c.written = true;
    return true;
  }

  private drop(n: number): false {
    this.stats.framesDropped += n;
    return false;
  }

  private breakStream(detail: string, next: 'backoff' | 'closed' = 'backoff'): void {
    if (this.state === 'closed') return;
    const call = this.call;
    this.call = null;
    this.hello = null;
    this.blocked = false;
    this.handshakeTimer?.cancel();
    this.handshakeTimer = null;
    const wasUp = this.state === 'open';
    this.state = next;
    this.retryAt = this.o.clock.monotonic() + this.backoff;
    this.backoff = Math.min(this.o.backoffMs.max, this.backoff * 2);
    this.drop(this.queue.length + this.transfers.length);
    this.queue = [];
    this.queueBytes = 0;
    this.transfers = [];
    for (const [id, c] of [...this.calls]) {
      this.settle(id, c.written ? new ClusterRequestError('timeout', `stream to ${this.o.peer} broke before the reply: ${detail}`) : new ClusterRequestError('unreachable', `stream to ${this.o.peer} broke: ${detail}`));
    }
    if (call) {
      try {
        call.cancel();
      } catch {
        // already gone
      }
    }
    if (wasUp && next === 'backoff') this.o.onEvent?.('broken', detail);
  }
}

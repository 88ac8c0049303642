/**
 * The server side of one member stream (stream-frame.ts for the frames, stream-auth.ts for the
 * open): issues the challenge, accepts nothing but a valid HELLO within the handshake timeout,
 * then dispatches SEND and CALL frames in arrival order to the cluster handlers as the
 * authenticated member, answering each CALL with a REPLY carrying its id. The member must stay
 * listed: a frame from a member that left the list closes the stream.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { AuthFailure } from './auth.js';
import { verifyHello, type Challenge } from './stream-auth.js';
import { ChunkAssembler, decodeFrame, encodeHandshake, encodeMessage, FRAME, type Frame } from './stream-frame.js';

/** A HELLO is small; a larger frame before authentication is refused unread. */
export const MAX_PREAUTH_FRAME_BYTES = 4096;

export type SessionEnd = { code: 'unauthenticated'; failure: AuthFailure | 'handshake-timeout' | 'not-a-hello'; detail: string } | { code: 'invalid'; detail: string };

export interface StreamSessionOptions {
  /** This member's address (`ip:mainPort`): the `server` of the challenge. */
  self: string;
  secret: string;
  isMember: (address: string) => boolean;
  /** 32 fresh random bytes as hex (one per stream). */
  nonce: () => string;
  clock: Clock;
  handshakeTimeoutMs: number;
  /** Bound of one reassembled chunked frame. */
  maxInboundBytes: number;
  /** Runs the handler of `type`; never rejects (failures come back as an error reply). The reply is only built when `reply` is set. */
  dispatch: (type: string, body: Buffer, from: string, reply: boolean) => Promise<{ type: string; json: string } | null>;
  write: (frame: Buffer) => void;
  /** Ends the stream; `end` is null for a normal close. */
  close: (end: SessionEnd | null) => void;
}

export class StreamSession {
  private challenge: Challenge | null = null;
  private from: string | null = null;
  private timer: TimerHandle | null = null;
  private closed = false;
  private readonly chunks: ChunkAssembler;
  framesReceived = 0;

  constructor(private readonly o: StreamSessionOptions) {
    this.chunks = new ChunkAssembler(o.maxInboundBytes);
  }

  /** The authenticated member, once the HELLO was accepted. */
  get member(): string | null {
    return this.from;
  }

  start(): void {
    this.challenge = { server: this.o.self, nonce: this.o.nonce() };
    this.o.write(encodeHandshake(FRAME.CHALLENGE, this.challenge));
    this.timer = this.o.clock.setTimeout(() => {
      if (this.from === null) this.end({ code: 'unauthenticated', failure: 'handshake-timeout', detail: `no valid hello within ${this.o.handshakeTimeoutMs} ms` });
    }, this.o.handshakeTimeoutMs);
  }

  onFrame(buf: Buffer): void {
    if (this.closed) return;
    if (this.from === null) return this.onHandshake(buf);
    if (!this.o.isMember(this.from)) return this.end({ code: 'unauthenticated', failure: 'not-a-member', detail: `${this.from} left the member list` });
    this.framesReceived++;
    let f = decodeFrame(buf);
    if ('error' in f) return this.end({ code: 'invalid', detail: f.error });
    if (f.kind === FRAME.CHUNK) {
      const whole = this.chunks.add(f);
      if (whole === null) return;
      if (!Buffer.isBuffer(whole)) return this.end({ code: 'invalid', detail: whole.error });
      f = decodeFrame(whole);
      if ('error' in f) return this.end({ code: 'invalid', detail: f.error });
    }
    this.onMessage(f, this.from);
  }

  /** The stream ended from the other side or the server stops. */
  stop(): void {
    this.closed = true;
    this.timer?.cancel();
  }

  private onHandshake(buf: Buffer): void {
    if (buf.length > MAX_PREAUTH_FRAME_BYTES) return this.end({ code: 'unauthenticated', failure: 'not-a-hello', detail: `${buf.length}-byte frame before authentication` });
    const f = decodeFrame(buf);
    if ('error' in f || f.kind !== FRAME.HELLO) return this.end({ code: 'unauthenticated', failure: 'not-a-hello', detail: 'the first frame must be a hello' });
    const r = verifyHello(this.o.secret, this.challenge!, this.o.isMember, f.json);
    if (!r.ok) return this.end({ code: 'unauthenticated', failure: r.failure, detail: r.detail });
    this.from = r.from;
    this.timer?.cancel();
    this.o.write(encodeHandshake(FRAME.WELCOME, r.welcome));
  }

  private onMessage(f: Frame, from: string): void {
    if (f.kind !== FRAME.SEND && f.kind !== FRAME.CALL) return this.end({ code: 'invalid', detail: `unexpected frame kind ${f.kind}` });
    const { kind, id, type, body } = f;
    // A one-way frame's failure stays here (the handler logged it); a call gets its answer.
    void this.o.dispatch(type, body, from, kind === FRAME.CALL).then((reply) => {
      if (reply !== null && !this.closed) this.o.write(encodeMessage(FRAME.REPLY, id, reply.type, reply.json));
    });
  }

  private end(e: SessionEnd): void {
    if (this.closed) return;
    this.stop();
    this.o.close(e);
  }
}

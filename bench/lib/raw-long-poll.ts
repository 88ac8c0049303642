/**
 * A minimal HTTP/1.1 long-poll client on a raw TCP socket, for the config push bench (scenario i,
 * HTTP long polls). `node:http`'s client costs the single load-generator core several hundred µs
 * per answer and re-poll (parser, IncomingMessage, agent bookkeeping); with 1,000 listeners the
 * client, not the server, set the notification p99 (docs/benchmarks.md "Configuration center").
 * This one writes a pre-formatted request and reads the answer's status line, Content-Length and
 * body, nothing more: it expects what a Nomen member answers to a v1 long poll (keep-alive,
 * Content-Length, no chunking) and treats anything else as an error (a reconnect after 200 ms).
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RawPollOptions {
  host: string;
  port: number;
  path: string;
  /** The form body of the next poll (asked again before every poll). */
  body: () => string;
  /** Each complete 200 answer with a non-empty body, stamped when its last byte was read. */
  onAnswer: (at: number, status: number, body: string) => void;
  stopped: () => boolean;
  timeoutHeaderMs: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Holds one long poll after another on one keep-alive socket until `stopped()`. */
export function rawPollLoop(o: RawPollOptions): void {
  let socket: Socket | null = null;
  let buf: Buffer = Buffer.alloc(0);
  const poll = (): void => {
    if (o.stopped() || socket === null) return;
    const body = o.body();
    socket.write(
      `POST ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Long-Pulling-Timeout: ${o.timeoutHeaderMs}\r\nConnection: keep-alive\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };
  const reconnect = (): void => {
    socket?.destroy();
    socket = null;
    buf = Buffer.alloc(0);
    if (!o.stopped()) setTimeout(open, 200);
  };
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      const headEnd = buf.indexOf(HEAD_END);
      if (headEnd < 0) return;
      const head = buf.subarray(0, headEnd).toString('latin1');
      const status = Number(head.slice(9, 12));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!m || !Number.isFinite(status)) return reconnect();
      const len = Number(m[1]);
      if (buf.length < headEnd + 4 + len) return;
      const body = buf.subarray(headEnd + 4, headEnd + 4 + len).toString('utf8');
      buf = buf.subarray(headEnd + 4 + len);
      if (status === 200 && len > 0) o.onAnswer(performance.now(), status, body);
      if (status !== 200) return reconnect();
      poll();
    }
  };
  const open = (): void => {
    if (o.stopped()) return;
    const s = connect({ host: o.host, port: o.port, noDelay: true });
    socket = s;
    s.on('connect', poll);
    s.on('data', onData);
    s.on('error', () => undefined);
    s.on('close', () => {
      if (socket === s) reconnect();
    });
  };
  open();
}

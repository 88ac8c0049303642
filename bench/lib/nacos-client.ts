/**
 * A minimal Nacos SDK gRPC client for load generation (docs/protocol/grpc.md §1, §3, §4), written directly on
 * node:http2 rather than @grpc/grpc-js: gRPC over h2c is just POST + `content-type:
 * application/grpc` + length-prefixed messages + a `grpc-status` trailer, and on a 2-core machine the
 * grpc-js client's per-call cost (~3–4× that of a raw HTTP/2 request, measured) would make the load
 * generator, not the server, the bottleneck. The servers under test are real gRPC servers.
 *
 * One `NacosConnection` = one HTTP/2 session = one server-side connection/client. It follows the
 * Rust SDK handshake order (§3.2): open the bi-stream and send ConnectionSetupRequest first, then
 * unary HealthCheckRequest (retried until the server has registered the connection), then
 * ServerCheckRequest. Server-to-client requests on the stream (NotifySubscriberRequest,
 * ClientDetectionRequest, ...) are acked at once with `<Type>Response` echoing `requestId` (§3.10).
 */
import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { decodePayload, encodeGrpcMessage, GrpcMessageReader, quickResultCode, type DecodedPayload } from './wire.js';

const UNARY_PATH = '/Request/request';
const BIDI_PATH = '/BiRequestStream/requestBiStream';
const { NGHTTP2_CANCEL } = http2.constants;

export interface PushEvent {
  type: string;
  /** The JSON body bytes; `json()` parses them (the acks do not need a full parse). */
  raw: Buffer;
  json(): Record<string, unknown>;
  /** performance.now() when the message was read off the stream. */
  receivedAt: number;
}

export interface ConnectionOptions {
  appName?: string;
  /** Self-reported client IP (Metadata.clientIp); the Rust SDK sends a non-loopback address. */
  clientIp?: string;
  onPush?: (p: PushEvent) => void;
}

export interface ParsedResponse {
  type: string;
  body: Record<string, unknown>;
}

export class NacosError extends Error {}

function parseObject(bytes: Buffer): Record<string, unknown> {
  const v: unknown = JSON.parse(bytes.toString('utf8'));
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new NacosError('response body is not a JSON object');
  return v as Record<string, unknown>;
}

interface Pending {
  stream: http2.ClientHttp2Stream;
  deadline: number;
  reject: (e: Error) => void;
}

/** One sweep timer for all calls of the process, instead of a timer per call. */
const pendingCalls = new Set<Pending>();
let sweeper: NodeJS.Timeout | null = null;
function trackPending(p: Pending): void {
  pendingCalls.add(p);
  if (!sweeper) {
    sweeper = setInterval(() => {
      const now = Date.now();
      for (const x of pendingCalls) {
        if (x.deadline <= now) {
          pendingCalls.delete(x);
          x.stream.close(NGHTTP2_CANCEL);
          x.reject(new NacosError('deadline exceeded'));
        }
      }
      if (pendingCalls.size === 0 && sweeper) {
        clearInterval(sweeper);
        sweeper = null;
      }
    }, 250);
    sweeper.unref();
  }
}

export class NacosConnection {
  private session: http2.ClientHttp2Session | null = null;
  private stream: http2.ClientHttp2Stream | null = null;
  private readonly headers: Record<string, string>;
  private readonly clientIp: string;
  connectionId = '';
  /** Number of server requests received on the stream (pushes, detections). */
  pushes = 0;
  streamClosed = false;
  onPush: ((p: PushEvent) => void) | undefined;

  constructor(
    readonly address: string,
    opts: ConnectionOptions = {},
  ) {
    this.headers = { app: opts.appName ?? 'nomen-bench' };
    this.clientIp = opts.clientIp ?? '127.0.0.1';
    this.onPush = opts.onPush;
  }

  /** A gRPC message (length prefix + Payload) carrying `json` typed as `type`. */
  encode(type: string, json: string): Buffer {
    return encodeGrpcMessage(type, json, { headers: this.headers, clientIp: this.clientIp });
  }

  /** Handshake as the Rust SDK does it. Resolves once the server answers HealthCheck with 200. */
  async connect(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const session = http2.connect(`http://${this.address}`, { settings: { enablePush: false } });
    this.session = session;
    session.on('error', () => {
      this.streamClosed = true;
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new NacosError(`connect to ${this.address} timed out`)), timeoutMs);
      session.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      session.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    session.setTimeout(0);
    const stream = session.request({ ':method': 'POST', ':path': BIDI_PATH, 'content-type': 'application/grpc', te: 'trailers' });
    this.stream = stream;
    const reader = new GrpcMessageReader();
    stream.on('data', (chunk: Buffer) => {
      const receivedAt = performance.now();
      for (const m of reader.push(chunk)) this.onStreamMessage(m, receivedAt);
    });
    stream.on('error', () => {
      this.streamClosed = true;
    });
    stream.on('close', () => {
      this.streamClosed = true;
    });
    stream.write(
      this.encode(
        'ConnectionSetupRequest',
        JSON.stringify({
          clientVersion: 'Nacos-Rust-Client:0.8.0',
          abilities: {
            remoteAbility: { supportRemoteConnection: true },
            configAbility: { supportRemoteMetrics: true },
            namingAbility: { supportDeltaPush: false, supportRemoteMetric: false },
          },
          tenant: 'public',
          labels: { AppName: this.headers.app, source: 'sdk', module: 'naming' },
          headers: {},
          requestId: null,
        }),
      ),
    );
    // The server registers the connection when the setup message arrives; until then HealthCheck
    // answers 301. Retry quickly, bounded by the deadline.
    for (let attempt = 0; ; attempt++) {
      const r = await this.call('HealthCheckRequest', '{"headers":{},"requestId":null}', Math.max(1000, deadline - Date.now()));
      if (r.type === 'HealthCheckResponse' && quickResultCode(r.body) === 200) break;
      if (Date.now() > deadline) throw new NacosError(`health check failed: ${r.type} ${r.body.toString('utf8')}`);
      await new Promise((res) => setTimeout(res, Math.min(200, 5 * 2 ** attempt)));
    }
    const sc = await this.request('ServerCheckRequest', { headers: {}, requestId: '1' });
    if (sc.type !== 'ServerCheckResponse' || typeof sc.body.connectionId !== 'string') {
      throw new NacosError(`server check failed: ${sc.type} ${JSON.stringify(sc.body)}`);
    }
    this.connectionId = sc.body.connectionId;
  }

  /** One unary call with a pre-encoded gRPC message; resolves with the decoded response envelope. */
  callEncoded(message: Buffer, timeoutMs = 10_000): Promise<DecodedPayload> {
    const session = this.session;
    if (!session || session.destroyed || session.closed) return Promise.reject(new NacosError('not connected'));
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({ ':method': 'POST', ':path': UNARY_PATH, 'content-type': 'application/grpc', te: 'trailers' });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      const pending: Pending = { stream, deadline: Date.now() + timeoutMs, reject };
      trackPending(pending);
      const reader = new GrpcMessageReader();
      let msg: Buffer | null = null;
      let status: string | undefined;
      let statusMessage = '';
      const headersStatus = (h: http2.IncomingHttpHeaders): void => {
        const s = h['grpc-status'];
        if (typeof s === 'string') {
          status = s;
          statusMessage = String(h['grpc-message'] ?? '');
        }
      };
      stream.on('response', headersStatus);
      stream.on('trailers', headersStatus);
      stream.on('data', (chunk: Buffer) => {
        const ms = reader.push(chunk);
        if (ms.length > 0 && msg === null) msg = ms[0]!;
      });
      stream.on('error', (e) => {
        pendingCalls.delete(pending);
        reject(e);
      });
      stream.on('close', () => {
        if (!pendingCalls.delete(pending)) return;
        if (status !== undefined && status !== '0') reject(new NacosError(`grpc-status ${status}: ${decodeURIComponent(statusMessage)}`));
        else if (msg === null) reject(new NacosError('no response message'));
        else {
          try {
            resolve(decodePayload(msg));
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        }
      });
      stream.end(message);
    });
  }

  call(type: string, json: string, timeoutMs?: number): Promise<DecodedPayload> {
    return this.callEncoded(this.encode(type, json), timeoutMs);
  }

  /** A unary request with an object body; the response body parsed. */
  async request(type: string, body: object, timeoutMs?: number): Promise<ParsedResponse> {
    const r = await this.call(type, JSON.stringify(body), timeoutMs);
    return { type: r.type, body: parseObject(r.body) };
  }

  /** Like `request`, but throws unless the response has the expected type and resultCode 200. */
  async expectOk(type: string, body: object, responseType: string, timeoutMs?: number): Promise<ParsedResponse> {
    const r = await this.request(type, body, timeoutMs);
    if (r.type !== responseType || r.body.resultCode !== 200) {
      throw new NacosError(`${type} failed: ${r.type} ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    return r;
  }

  close(): void {
    this.streamClosed = true;
    try {
      this.stream?.end();
    } catch {
      // already closed
    }
    this.session?.destroy();
  }

  private onStreamMessage(buf: Buffer, receivedAt: number): void {
    let p: DecodedPayload;
    try {
      p = decodePayload(buf);
    } catch {
      return;
    }
    if (!p.type.endsWith('Request')) return;
    this.pushes++;
    const raw = p.body;
    if (p.type !== 'SetupAckRequest') {
      // Servers put `"headers":{},"requestId":"N"` first (docs/protocol/grpc.md §3.10); read it without a full parse.
      const m = /"requestId"\s*:\s*("(?:[^"\\]|\\.)*"|null)/.exec(raw.toString('latin1', 0, Math.min(raw.length, 256)));
      let requestId: string | null;
      if (m) requestId = JSON.parse(m[1]!) as string | null;
      else {
        try {
          const v = parseObject(raw).requestId;
          requestId = typeof v === 'string' ? v : null;
        } catch {
          requestId = null;
        }
      }
      const ack = `{"resultCode":200,"errorCode":0,"message":"Response ok","requestId":${JSON.stringify(requestId)}}`;
      this.stream?.write(this.encode(p.type.replace(/Request$/, 'Response'), ack));
    }
    this.onPush?.({ type: p.type, raw, json: () => parseObject(raw), receivedAt });
  }
}

/** Opens `n` connections with at most `parallel` handshakes in flight; all or nothing. */
export async function openConnections(
  address: string,
  n: number,
  parallel: number,
  opts: (i: number) => ConnectionOptions = () => ({}),
  timeoutMs = 60_000,
): Promise<NacosConnection[]> {
  const conns: NacosConnection[] = [];
  let next = 0;
  const deadline = Date.now() + timeoutMs;
  const worker = async (): Promise<void> => {
    while (next < n) {
      if (Date.now() > deadline) throw new NacosError(`opening ${n} connections took longer than ${timeoutMs} ms`);
      const i = next++;
      const c = new NacosConnection(address, opts(i));
      conns[i] = c;
      await c.connect(Math.max(1000, Math.min(15_000, deadline - Date.now())));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  } catch (e) {
    for (const c of conns) c?.close();
    throw e;
  }
  return conns;
}

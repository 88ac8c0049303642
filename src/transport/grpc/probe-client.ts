/**
 * A minimal client of the Nacos gRPC envelope: unary requests and one bi-stream over its own
 * HTTP/2 connection. It is not an SDK (no handshake logic, no retries); tests and tools drive the
 * protocol with it step by step. The server does not use it.
 */
import * as grpc from '@grpc/grpc-js';
import { decode, encode, type Decoded, type EncodeOptions } from '../../wire/codec.js';
import { nacosMethodDefinitions } from '../../wire/proto.js';

export type ProbeMessage = Decoded;

const UNARY_PATH = '/Request/request';
const STREAM_PATH = '/BiRequestStream/requestBiStream';

export class ProbeClient {
  private readonly client: grpc.Client;
  private readonly methods = nacosMethodDefinitions();

  /** `address` is `host:port`. Each ProbeClient gets its own TCP connection. */
  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      // grpc-js shares subchannels (TCP connections) between clients by default; a probe must not.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  /** Sends `type` + JSON body; resolves with the decoded reply. */
  async request(type: string, body: object | string, opts?: EncodeOptions, timeoutMs = 5000): Promise<ProbeMessage> {
    return this.requestPayload(encode(type, body, opts), timeoutMs);
  }

  /** Sends any Payload-shaped object (e.g. one without metadata). */
  async requestPayload(payload: object, timeoutMs = 5000): Promise<ProbeMessage> {
    const raw = await this.unary<object>(payload, (v) => this.methods.request.requestSerialize(v), timeoutMs);
    return toMessage(raw);
  }

  /** Sends raw bytes as the request message (e.g. bytes that are not a valid protobuf). */
  async requestBytes(bytes: Buffer, timeoutMs = 5000): Promise<ProbeMessage> {
    const raw = await this.unary<Buffer>(bytes, (b) => b, timeoutMs);
    return toMessage(raw);
  }

  openStream(): ProbeStream {
    const m = this.methods.requestBiStream;
    const call = this.client.makeBidiStreamRequest<object | Buffer, object>(
      STREAM_PATH,
      (v) => (Buffer.isBuffer(v) ? v : m.requestSerialize(v)),
      (b) => m.responseDeserialize(b),
    );
    return new ProbeStream(call);
  }

  close(): void {
    this.client.close();
  }

  private unary<T>(arg: T, serialize: (v: T) => Buffer, timeoutMs: number): Promise<object> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<T, object>(
        UNARY_PATH,
        serialize,
        (b) => this.methods.request.responseDeserialize(b),
        arg,
        { deadline: Date.now() + timeoutMs },
        (err, value) => (err || !value ? reject(err ?? new Error('empty reply')) : resolve(value)),
      );
    });
  }
}

function toMessage(raw: unknown): ProbeMessage {
  const d = decode(raw);
  if (!d.ok) throw new Error(`undecodable reply (${d.type}): ${d.error}`);
  return d;
}

/** One client bi-stream: send messages, await the server's messages in order. */
export class ProbeStream {
  private readonly queue: ProbeMessage[] = [];
  private readonly waiters: Array<(m: ProbeMessage | null) => void> = [];
  private finished = false;
  /** Resolves when the server ends the stream or it fails. */
  readonly done: Promise<void>;

  constructor(private readonly call: grpc.ClientDuplexStream<object | Buffer, object>) {
    call.on('data', (raw: unknown) => {
      const m = toMessage(raw);
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
    this.done = new Promise<void>((resolve) => {
      const finish = (): void => {
        if (this.finished) return;
        this.finished = true;
        for (const w of this.waiters.splice(0)) w(null);
        resolve();
      };
      call.on('end', finish);
      call.on('error', finish);
      call.on('status', finish);
    });
  }

  send(type: string, body: object | string, opts?: EncodeOptions): void {
    this.call.write(encode(type, body, opts));
  }

  sendRaw(payloadOrBytes: object | Buffer): void {
    this.call.write(payloadOrBytes);
  }

  /** The next server message, or null if the stream ended first; rejects after `timeoutMs`. */
  next(timeoutMs = 3000): Promise<ProbeMessage | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.finished) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const waiter = (m: ProbeMessage | null): void => {
        clearTimeout(t);
        resolve(m);
      };
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no stream message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Answers a server request with `<Name>Response` (e.g. NotifySubscriberRequest -> NotifySubscriberResponse). */
  ack(request: ProbeMessage, resultCode = 200): void {
    const requestId = request.body['requestId'];
    this.send(request.type.replace(/Request$/, 'Response'), {
      resultCode,
      errorCode: resultCode === 200 ? 0 : resultCode,
      message: 'Response ok',
      requestId: typeof requestId === 'string' ? requestId : null,
    });
  }

  /** Half-closes our side. */
  end(): void {
    this.call.end();
  }

  cancel(): void {
    this.call.cancel();
  }
}

/**
 * A raw gRPC client of the Nacos envelope, independent of the server's own code: it loads the
 * proto with @grpc/proto-loader and speaks `Payload`s (metadata.type + JSON in body.value).
 * Unary calls and the bi-stream share one channel, i.e. one HTTP/2 connection, i.e. one
 * server-side "connection" (docs/protocol/grpc.md §3.1).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { REPO_ROOT, waitFor } from './server.js';

const PROTO = join(REPO_ROOT, 'src', 'wire', 'proto', 'nacos_grpc_service.proto');

interface WirePayload {
  metadata?: { type?: string; clientIp?: string; headers?: Record<string, string> } | null;
  body?: { type_url?: string; value?: Buffer } | null;
}

export interface RawMessage {
  type: string;
  body: Record<string, unknown>;
}

interface Codec {
  serialize: (v: WirePayload) => Buffer;
  deserialize: (b: Buffer) => WirePayload;
}

function codecOf(def: protoLoader.PackageDefinition, service: string, method: string): Codec {
  const svc = def[service] as protoLoader.ServiceDefinition | undefined;
  const m = svc?.[method];
  if (!m) throw new Error(`proto: ${service}.${method} not found`);
  return { serialize: (v) => m.requestSerialize(v), deserialize: (b) => m.responseDeserialize(b) as WirePayload };
}

function load(): { unary: Codec; stream: Codec } {
  const def = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true });
  return { unary: codecOf(def, 'Request', 'request'), stream: codecOf(def, 'BiRequestStream', 'requestBiStream') };
}

export function payload(type: string, body: object | string): WirePayload {
  const json = typeof body === 'string' ? body : JSON.stringify(body);
  return { metadata: { type, clientIp: '127.0.0.1', headers: {} }, body: { type_url: type, value: Buffer.from(json, 'utf8') } };
}

function decode(p: WirePayload | undefined): RawMessage {
  const type = p?.metadata?.type ?? '';
  const text = p?.body?.value ? Buffer.from(p.body.value).toString('utf8') : '';
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { __raw: text };
  }
  return { type, body };
}

export class RawGrpcClient {
  private readonly client: grpc.Client;
  private readonly codecs = load();
  private stream: grpc.ClientDuplexStream<WirePayload, WirePayload> | null = null;
  /** Messages the server sent on the bi-stream. */
  readonly streamMessages: RawMessage[] = [];

  constructor(grpcPort: number) {
    // A local subchannel pool: this client gets its own TCP connection (not shared with other clients).
    this.client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  }

  /** One unary request; rejects on transport errors, resolves with the decoded reply otherwise. */
  request(type: string, body: object | string, timeoutMs = 5000): Promise<RawMessage> {
    return this.requestPayload(payload(type, body), timeoutMs);
  }

  requestPayload(p: WirePayload, timeoutMs = 5000): Promise<RawMessage> {
    const c = this.codecs.unary;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest('/Request/request', c.serialize, c.deserialize, p, { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(err) : resolve(decode(res)),
      );
    });
  }

  /** Opens the bi-stream and sends a Rust-style ConnectionSetupRequest on it (no reply expected). */
  setup(): void {
    const c = this.codecs.stream;
    const s = this.client.makeBidiStreamRequest('/BiRequestStream/requestBiStream', c.serialize, c.deserialize);
    s.on('data', (p: WirePayload) => this.streamMessages.push(decode(p)));
    s.on('error', () => undefined); // cancelled on close()
    s.write(
      payload('ConnectionSetupRequest', {
        clientVersion: 'Nomen-IT-Raw:0.0.1',
        abilities: {},
        tenant: 'public',
        labels: { AppName: 'it', source: 'sdk', module: 'naming' },
        headers: {},
        requestId: null,
      }),
    );
    this.stream = s;
  }

  /**
   * Opens the bi-stream as a Java 3.x client does: its ConnectionSetupRequest (with `abilityTable`,
   * so the server answers SetupAckRequest) and acks for every server request, answered the way the
   * Java SDK answers them (`acks` maps a request type to the response type; others get none).
   */
  setupJava(acks: Readonly<Record<string, string>>, headers: Record<string, string> = {}): void {
    const c = this.codecs.stream;
    const s = this.client.makeBidiStreamRequest('/BiRequestStream/requestBiStream', c.serialize, c.deserialize);
    s.on('data', (p: WirePayload) => {
      const m = decode(p);
      this.streamMessages.push(m);
      const reply = acks[m.type];
      if (reply) s.write(payload(reply, { resultCode: 200, errorCode: 0, requestId: m.body['requestId'], success: true }));
    });
    s.on('error', () => undefined);
    s.write(
      payload('ConnectionSetupRequest', {
        headers,
        module: 'internal',
        clientVersion: 'Nacos-Java-Client:v3.0.3',
        labels: { source: 'sdk', module: 'naming', AppName: 'unknown', 'tls.enable': 'false' },
        abilityTable: { fuzzyWatch: true, lock: true, mcp: true },
      }),
    );
    this.stream = s;
  }

  /** `setup()`, then waits until the server registered the connection (it answers HealthCheck). */
  async setupAndWait(timeoutMs = 5000, setup: () => void = () => this.setup()): Promise<void> {
    setup();
    await waitFor(
      'connection registration',
      async () => ((await this.request('HealthCheckRequest', { headers: {}, requestId: null })).type === 'HealthCheckResponse' ? true : undefined),
      timeoutMs,
      100,
    );
  }

  close(): void {
    this.stream?.cancel();
    this.client.close();
  }
}

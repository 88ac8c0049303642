/**
 * The cluster port as a grpc-js member sees it (builds before the node:http2 transport, docs/raft.md
 * "Raft transport"): the member-stream method with raw Buffer frames. Tests use it to prove the
 * wire did not change (rolling upgrade).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { decodeEnvelope, encode, errorResponse, parseJsonBody } from '../../../src/wire/codec.js';
import { decodeInbound } from '../../../src/wire/proto.js';
import { encodeWirePayload } from '../../../src/wire/protobuf.js';
import { ClusterAuthenticator, DEFAULT_MAX_SKEW_MS } from '../../../src/cluster/transport/auth.js';
import { MEMBER_STREAM_PATH, replyJson, responseTypeOf, UNARY_PATH } from '../../../src/cluster/transport/server.js';
import { StreamSession } from '../../../src/cluster/transport/stream-session.js';
import type { ClusterTlsMaterial } from '../../../src/cluster/transport/tls.js';

const raw = (b: Buffer): Buffer => b;
export const memberStreamMethod: grpc.MethodDefinition<Buffer, Buffer> = {
  path: MEMBER_STREAM_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
};

/** The grpc-js credentials the cluster port used with mutual TLS (docs/raft.md "Raft transport"). */
export function grpcjsServerCredentials(tls: ClusterTlsMaterial | null | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

export function grpcjsChannelCredentials(tls: ClusterTlsMaterial | null | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert);
}

export interface GrpcjsClusterServer {
  port: number;
  /** Types of the requests and frames that reached a handler, in order. */
  seen: string[];
  stop(): void;
}

/**
 * A cluster port served by grpc-js the way builds before the node:http2 transport served it: the
 * unary `/Request/request` (authenticated per request, replies in-band) and the member stream
 * (authenticated once by a StreamSession). Every handler echoes its body back.
 */
export async function startGrpcjsClusterServer(o: { self: string; secret: string; isMember: (a: string) => boolean; tls?: ClusterTlsMaterial | null }): Promise<GrpcjsClusterServer> {
  const logger = silentLogger();
  const auth = new ClusterAuthenticator({ secret: o.secret, maxSkewMs: DEFAULT_MAX_SKEW_MS, now: () => Date.now(), isMember: o.isMember });
  const seen: string[] = [];
  const run = (type: string, bodyBytes: Uint8Array): { type: string; json: string } => {
    seen.push(type);
    const parsed = parseJsonBody(bodyBytes);
    const reply = parsed.ok ? { type: responseTypeOf(type), body: { echo: parsed.body } } : errorResponse(502, parsed.error);
    return replyJson(reply, logger);
  };
  const server = new grpc.Server();
  const unary: grpc.MethodDefinition<Buffer, Buffer> = { ...memberStreamMethod, path: UNARY_PATH, requestStream: false, responseStream: false };
  const request: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const env = decodeEnvelope(decodeInbound(call.request));
    let r: { type: string; json: string };
    if (!env.ok) r = replyJson(errorResponse(502, env.error), logger);
    else {
      const a = auth.verify({ type: env.type, headers: env.headers, bodyBytes: env.bodyBytes });
      r = a.ok ? run(env.type, env.bodyBytes) : replyJson(errorResponse(403, `cluster authentication failed: ${a.failure}`), logger);
    }
    callback(null, encodeWirePayload(encode(r.type, r.json)));
  };
  server.addService({ request: unary } as grpc.ServiceDefinition, { request });
  const open: grpc.handleBidiStreamingCall<Buffer, Buffer> = (call) => {
    const session = new StreamSession({
      self: o.self,
      secret: o.secret,
      isMember: o.isMember,
      nonce: () => randomBytes(32).toString('hex'),
      clock: systemClock,
      handshakeTimeoutMs: 5000,
      maxInboundBytes: 4 * 1024 * 1024,
      dispatch: (type, body, _from, reply) => {
        const r = run(type, body);
        return Promise.resolve(reply ? r : null);
      },
      write: (frame) => void call.write(frame),
      close: (end) => {
        if (end === null) call.end();
        else call.emit('error', { code: end.code === 'unauthenticated' ? grpc.status.UNAUTHENTICATED : grpc.status.INVALID_ARGUMENT, details: end.detail });
      },
    });
    call.on('data', (f: Buffer) => session.onFrame(f));
    call.on('end', () => {
      session.stop();
      call.end();
    });
    call.on('error', () => session.stop());
    call.on('cancelled', () => session.stop());
    session.start();
  };
  server.addService({ open: memberStreamMethod } as grpc.ServiceDefinition, { open });
  const port = await new Promise<number>((resolve, reject) => {
    const m = /:(\d+)$/.exec(o.self);
    const clusterPort = Number(m?.[1]) + 1001;
    server.bindAsync(`127.0.0.1:${clusterPort}`, grpcjsServerCredentials(o.tls), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return { port, seen, stop: () => server.forceShutdown() };
}

/** A free loopback port usable as a cluster port (its main port = port - 1001 is valid). */
export async function freeClusterPort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const p = await new Promise<number>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(0));
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    if (p > 1001) return p;
  }
  throw new Error('no free port');
}

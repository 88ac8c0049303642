/**
 * The SDK port's transport seam (docs/sdk-transport.md): what `SdkGrpcServer` needs from a gRPC
 * server, which is exactly two methods carrying one message type (docs/protocol/grpc.md §1.1):
 * unary `/Request/request` and bidi `/BiRequestStream/requestBiStream`, both on `Payload`, whose
 * codec is ours (src/wire/protobuf.ts). The server accepts TCP itself and injects each socket, so
 * connection tracking (ids, remote address, close hooks) is the same whichever transport runs.
 *
 * Two implementations: `grpc-js` (@grpc/grpc-js) and `http2` (node:http2 with our own gRPC framing).
 * Chosen by `nomen.sdk.transport`.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../observability/logger.js';
import type { InboundMessage } from '../../wire/proto.js';
import type { StreamSink } from './connections.js';

export const SDK_TRANSPORTS = ['grpc-js', 'http2'] as const;
export type SdkTransportKind = (typeof SDK_TRANSPORTS)[number];

/** gRPC paths of the two Nacos methods (the proto has no package, docs/protocol/grpc.md §1.1). */
export const UNARY_PATH = '/Request/request';
export const BIDI_PATH = '/BiRequestStream/requestBiStream';

/** The inbound side of one bi-stream, as the server consumes it. */
export interface BidiListener {
  message(raw: InboundMessage): void;
  /** The stream is over (client end, cancel, error, deadline); called at most once by the transport. */
  closed(why: string): void;
}

/** What a transport calls back into: the Nacos connection protocol (SdkGrpcServer). */
export interface SdkCallHost {
  /** A unary call on the transport whose peer key is `peer`; the encoded Payload reply. Never throws or rejects. */
  unary(peer: string, msg: InboundMessage): Buffer | Promise<Buffer>;
  /** A bi-stream opened on `peer`; `sink` writes to it. */
  openStream(peer: string, sink: StreamSink): BidiListener;
}

export interface SdkTransportOptions {
  host: SdkCallHost;
  logger: Logger;
  /** Inbound message limit in bytes (RESOURCE_EXHAUSTED above it). */
  maxInboundBytes: number;
  /** Server-initiated HTTP/2 PING after this much time (ms); 0 = never. */
  keepaliveTimeMs: number;
  /** The transport is closed when a keepalive PING is not acked within this (ms). */
  keepaliveTimeoutMs: number;
}

export interface SdkTransport {
  /** Takes over an accepted TCP socket (its peer key is `${remoteAddress}:${remotePort}`). */
  inject(socket: Socket): void;
  /** Graceful close (GOAWAY, in-flight calls finish) for up to `graceMs`, then forced. */
  shutdown(graceMs: number): Promise<void>;
}

/** The peer key of a socket: what grpc-js' `call.getPeer()` returns for it. */
export function peerKey(remoteAddress: string, remotePort: number): string {
  return `${remoteAddress}:${remotePort}`;
}

/**
 * The grpc-js service definitions of the Nacos envelope.
 *
 * The proto has no package, so the services sit at the package root: `Request` and
 * `BiRequestStream` (docs/protocol/grpc.md §1.1). Servers use definitions built on the hand-written codec in
 * `protobuf.ts` (no .proto is loaded); clients get the @grpc/proto-loader ones, loaded on first use.
 * The proto path is resolved relative to this module so it works from `src/` (tsx) and from
 * `dist/` (the build copies the proto folder).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import type { OutboundPayload } from './codec.js';
import { decodePayload, encodeWirePayload, type InboundEnvelope } from './protobuf.js';

export const PROTO_PATH = fileURLToPath(new URL('./proto/nacos_grpc_service.proto', import.meta.url));

/** `keepCase` keeps `clientIp` and `type_url` as written; bytes decode to Buffer. */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

let cached: protoLoader.PackageDefinition | undefined;

/** The proto-loader package definition (cached). Clients can feed it to `grpc.loadPackageDefinition`. */
export function loadNacosPackageDefinition(): protoLoader.PackageDefinition {
  // Loaded lazily (CommonJS): a server never needs it, and it costs start-up time and heap.
  if (!cached) {
    const loader = createRequire(import.meta.url)('@grpc/proto-loader') as typeof protoLoader;
    cached = loader.loadSync(PROTO_PATH, PROTO_LOADER_OPTIONS);
  }
  return cached;
}

/**
 * What a server-side handler receives when a message could not be decoded as a `Payload` at all
 * (bad protobuf bytes). grpc-js would otherwise fail the call (or kill the whole bi-stream) with
 * INTERNAL; we prefer to answer in-band (unary: ErrorResponse 502) or drop the message (stream).
 */
export class UndecodablePayload {
  constructor(readonly reason: string) {}
}

/** What a server-side handler receives: a decoded envelope, or the reason it could not be decoded. */
export type InboundMessage = InboundEnvelope | UndecodablePayload;

/** Decodes a received Payload; never throws (bad bytes give an UndecodablePayload). */
export function decodeInbound(buf: Buffer): InboundMessage {
  try {
    return decodePayload(buf);
  } catch (e) {
    return new UndecodablePayload(e instanceof Error ? e.message : String(e));
  }
}

type UnaryImpl = grpc.handleUnaryCall<InboundMessage, OutboundPayload>;
type BidiImpl = grpc.handleBidiStreamingCall<InboundMessage, OutboundPayload>;

export interface SdkServiceDefinitions {
  request: grpc.ServiceDefinition<{ request: UnaryImpl }>;
  biStream: grpc.ServiceDefinition<{ requestBiStream: BidiImpl }>;
}

function methodOf(pkg: protoLoader.PackageDefinition, service: string, method: string): protoLoader.MethodDefinition<object, object> {
  const svc = pkg[service];
  // Message and enum definitions carry a `format` field; services are plain method maps.
  if (!svc || 'format' in svc) throw new Error(`proto: service ${service} not found`);
  const m = (svc as protoLoader.ServiceDefinition)[method];
  if (!m) throw new Error(`proto: method ${service}.${method} not found`);
  return m;
}

function serverOnly(): never {
  throw new Error('server-side method definition: not usable by a client');
}

/** A server method on the hand-written codec; its request deserializer never throws. */
function serverMethod(path: string, originalName: string, streaming: boolean): grpc.MethodDefinition<InboundMessage, OutboundPayload> {
  const serialize = (v: OutboundPayload): Buffer => (Buffer.isBuffer(v) ? v : encodeWirePayload(v));
  return {
    path,
    requestStream: streaming,
    responseStream: streaming,
    requestSerialize: serverOnly,
    requestDeserialize: decodeInbound,
    responseSerialize: serialize,
    responseDeserialize: serverOnly,
    originalName,
  };
}

/** The plain (throwing) method definitions, for clients. */
export function nacosMethodDefinitions(): {
  request: protoLoader.MethodDefinition<object, object>;
  requestBiStream: protoLoader.MethodDefinition<object, object>;
} {
  const pkg = loadNacosPackageDefinition();
  return { request: methodOf(pkg, 'Request', 'request'), requestBiStream: methodOf(pkg, 'BiRequestStream', 'requestBiStream') };
}

/** Server-side definitions whose request deserializers never throw (see UndecodablePayload). */
export function sdkServiceDefinitions(): SdkServiceDefinitions {
  return {
    request: { request: serverMethod('/Request/request', 'request', false) },
    biStream: { requestBiStream: serverMethod('/BiRequestStream/requestBiStream', 'requestBiStream', true) },
  };
}

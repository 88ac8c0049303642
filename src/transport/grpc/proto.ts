/**
 * Loads the Nacos envelope proto and builds the grpc-js service definitions.
 *
 * The proto has no package, so the services sit at the package root: `Request` and
 * `BiRequestStream` (spec 1.1). The path is resolved relative to this module so it works from
 * `src/` (tsx) and from `dist/` (the build copies the proto folder).
 */
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { WirePayload } from './codec.js';

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
  cached ??= protoLoader.loadSync(PROTO_PATH, PROTO_LOADER_OPTIONS);
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

type UnaryImpl = grpc.handleUnaryCall<unknown, WirePayload>;
type BidiImpl = grpc.handleBidiStreamingCall<unknown, WirePayload>;

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

function safeMethod(m: protoLoader.MethodDefinition<object, object>): grpc.MethodDefinition<unknown, WirePayload> {
  return {
    path: m.path,
    requestStream: m.requestStream,
    responseStream: m.responseStream,
    requestSerialize: (v: unknown) => m.requestSerialize(v as object),
    requestDeserialize: (buf: Buffer): unknown => {
      try {
        return m.requestDeserialize(buf);
      } catch (e) {
        return new UndecodablePayload(e instanceof Error ? e.message : String(e));
      }
    },
    responseSerialize: (v: WirePayload) => m.responseSerialize(v),
    responseDeserialize: (buf: Buffer) => m.responseDeserialize(buf) as WirePayload,
    originalName: m.originalName,
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
  const pkg = loadNacosPackageDefinition();
  return {
    request: { request: safeMethod(methodOf(pkg, 'Request', 'request')) },
    biStream: { requestBiStream: safeMethod(methodOf(pkg, 'BiRequestStream', 'requestBiStream')) },
  };
}

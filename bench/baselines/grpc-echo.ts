/**
 * Baseline: a bare @grpc/grpc-js server speaking the Nacos Payload proto (the project's own .proto,
 * loaded with @grpc/proto-loader and the same options as Nomen), doing no work beyond decoding
 * the request Payload and answering a fixed, pre-built response Payload:
 *  - ServiceQueryRequest -> a QueryServiceResponse with a pre-encoded 100-host ServiceInfo;
 *  - anything else       -> a small fixed InstanceResponse.
 * The bi-stream accepts and ignores messages. This is the ceiling a Node gRPC server on one core
 * can reach for the same client traffic.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { okResponseJson, serviceInfoJson } from '../lib/bodies.js';
import { ROOT } from '../lib/proc.js';
import { emit, hardDeadline, runMain, scriptArgs, stopRequested } from '../lib/script.js';

interface Args {
  port: number;
  host?: string;
  queryHosts?: number;
  maxLifetimeMs?: number;
}

interface WirePayload {
  metadata: { type: string; clientIp: string; headers: Record<string, string> };
  body: { type_url: string; value: Buffer };
}

function payload(type: string, json: string): WirePayload {
  return { metadata: { type, clientIp: '', headers: {} }, body: { type_url: type, value: Buffer.from(json, 'utf8') } };
}

function requestType(req: unknown): string {
  if (typeof req !== 'object' || req === null) return '';
  const md = (req as { metadata?: { type?: unknown } }).metadata;
  return typeof md?.type === 'string' ? md.type : '';
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs ?? 30 * 60_000);
  const pkg = protoLoader.loadSync(join(ROOT, 'src', 'wire', 'proto', 'nacos_grpc_service.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(pkg) as unknown as Record<string, { service: grpc.ServiceDefinition }>;
  const small = payload('InstanceResponse', okResponseJson(',"type":"registerInstance"'));
  const query = payload('QueryServiceResponse', okResponseJson(`,"serviceInfo":${serviceInfoJson('bench-100', a.queryHosts ?? 100, 'bare')}`));
  const health = payload('HealthCheckResponse', okResponseJson());
  const serverCheck = payload('ServerCheckResponse', okResponseJson(',"connectionId":"echo","supportAbilityNegotiation":false'));
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 10 * 1024 * 1024 });
  server.addService(loaded.Request!.service, {
    request: (call: grpc.ServerUnaryCall<unknown, WirePayload>, cb: grpc.sendUnaryData<WirePayload>) => {
      const t = requestType(call.request);
      cb(null, t === 'ServiceQueryRequest' ? query : t === 'HealthCheckRequest' ? health : t === 'ServerCheckRequest' ? serverCheck : small);
    },
  });
  server.addService(loaded.BiRequestStream!.service, {
    requestBiStream: (call: grpc.ServerDuplexStream<unknown, WirePayload>) => {
      call.on('data', () => undefined);
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync(`${a.host ?? '127.0.0.1'}:${a.port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? rej(err) : res(p))),
  );
  emit('ready', { port, smallBytes: small.body.value.length, queryBytes: query.body.value.length });
  await stopRequested();
  server.forceShutdown();
});

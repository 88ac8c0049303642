/**
 * The cluster port as a grpc-js member sees it (builds before the node:http2 transport, docs/raft.md
 * "Raft transport"): the member-stream method with raw Buffer frames. Tests use it to prove the
 * wire did not change (rolling upgrade).
 */
import * as grpc from '@grpc/grpc-js';
import { MEMBER_STREAM_PATH } from '../../../src/cluster/transport/server.js';
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

/**
 * The cluster port as a grpc-js member sees it (builds before the node:http2 transport, docs/raft.md
 * "Raft transport"): the member-stream method with raw Buffer frames. Tests use it to prove the
 * wire did not change (rolling upgrade).
 */
import * as grpc from '@grpc/grpc-js';
import { MEMBER_STREAM_PATH } from '../../../src/cluster/transport/server.js';

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

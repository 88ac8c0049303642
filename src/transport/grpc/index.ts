/** Public surface of the SDK gRPC transport. */
export {
  SdkGrpcServer,
  type HandlerResult,
  type RequestContext,
  type RequestHandler,
  type SdkGrpcServerOptions,
} from './sdk-server.js';
export type { ConnectionInfo, ConnectionListener } from './connections.js';
export { PushError, type PushFailure } from './push-error.js';
export { parseBody } from './validation.js';
export {
  encode,
  decode,
  okResponse,
  typedFailure,
  errorResponse,
  exceptionResponse,
  serverRequestJson,
  type TypedMessage,
  type ResponseFields,
  type WirePayload,
} from '../../wire/codec.js';

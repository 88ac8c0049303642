/**
 * Attaches the naming request handlers (`naming-handlers.ts`) to the SDK gRPC server: each one
 * counted and timed per request type, and a rejection of the request itself mapped to a typed
 * failure of the request's own response type.
 */
import type { AppContext } from '../../app-context.js';
import { NacosError } from '../../core/errors.js';
import { ERROR_RESPONSE_TYPE, type TypedMessage } from '../../wire/codec.js';
import { FUZZY_WATCH_REQUEST, FUZZY_WATCH_RESPONSE, fuzzyWatchHandlers } from './fuzzy-watch-handler.js';
import { namingHandlers, type NamingHandler } from './naming-handlers.js';
import { LOADER_INFO_REQUEST, LOADER_INFO_RESPONSE, RELOAD_REQUEST, RELOAD_RESPONSE, serverLoaderHandlers } from './server-loader-handlers.js';
import type { RequestHandler, SdkGrpcServer } from './sdk-server.js';

/** Request type -> the response type a typed failure must carry (docs/protocol/grpc.md §7). */
const RESPONSE_TYPE: Record<string, string> = {
  InstanceRequest: 'InstanceResponse',
  PersistentInstanceRequest: 'InstanceResponse',
  BatchInstanceRequest: 'BatchInstanceResponse',
  ServiceQueryRequest: 'QueryServiceResponse',
  SubscribeServiceRequest: 'SubscribeServiceResponse',
  ServiceListRequest: 'ServiceListResponse',
  [FUZZY_WATCH_REQUEST]: FUZZY_WATCH_RESPONSE,
  [LOADER_INFO_REQUEST]: LOADER_INFO_RESPONSE,
  [RELOAD_REQUEST]: RELOAD_RESPONSE,
};

/** The response type of a naming request type; `ErrorResponse` for any other. */
export function namingResponseType(requestType: string): string {
  return RESPONSE_TYPE[requestType] ?? ERROR_RESPONSE_TYPE;
}

/** Registers every naming handler on `grpc`, instrumented (see `instrumented`). */
export function bindNamingHandlers(grpc: SdkGrpcServer, ctx: AppContext): void {
  const table = {
    ...namingHandlers(ctx),
    ...(ctx.fuzzyWatch ? fuzzyWatchHandlers(ctx.fuzzyWatch) : {}),
    ...(ctx.loader ? serverLoaderHandlers(ctx.loader) : {}),
  };
  for (const [type, h] of Object.entries(table)) grpc.registerHandler(type, instrumented(type, h, ctx));
}

/** A rejection as a typed failure of the request's own response type, or null to let the server answer it. */
export type TypedFailure = (type: string, e: unknown) => TypedMessage | null;

/**
 * Naming: 4xx NacosErrors are typed failures, as docs/protocol/grpc.md §5.3 recommends: the Rust SDK
 * re-sends a typed failure once, but an ErrorResponse every 3 s forever.
 */
const namingFailure: TypedFailure = (type, e) => {
  if (e instanceof NacosError && e.status >= 400 && e.status < 500) {
    return {
      type: namingResponseType(type),
      body: { resultCode: 500, errorCode: e.status, message: e.message, requestId: null, success: false },
    };
  }
  return null;
};

function instrumented(type: string, h: NamingHandler, ctx: AppContext): RequestHandler {
  return instrument(
    type,
    ctx,
    (body, rc) => {
      const conn = rc.connection;
      return h(body, {
        connectionId: conn.id,
        clientIp: rc.clientIp,
        remoteAddress: conn.remoteAddress,
        appName: conn.appName,
        clientVersion: conn.clientVersion,
      });
    },
    namingFailure,
  );
}

/**
 * One handler as the SDK server calls it: counted (`ok` / `error`) and timed per request type,
 * rejections answered as `failure` maps them, anything else rethrown (the server answers ErrorResponse).
 */
export function instrument(type: string, ctx: AppContext, run: RequestHandler, failure: TypedFailure): RequestHandler {
  // Bound once; recording is plain arithmetic (src/observability/request-series.ts).
  const series = ctx.metrics?.grpcRequests.of(type);
  const done = (r: TypedMessage, t0: number) => {
    series?.record((performance.now() - t0) / 1000, false);
    return r;
  };
  const failed = (e: unknown, t0: number) => {
    series?.record((performance.now() - t0) / 1000, true);
    const typed = failure(type, e);
    if (typed) return typed;
    throw e;
  };
  // Synchronous handlers stay synchronous (no promise per request on the hot paths).
  return (body, rc) => {
    const t0 = performance.now();
    try {
      const r = run(body, rc);
      return r instanceof Promise ? r.then((v) => done(v, t0), (e: unknown) => failed(e, t0)) : done(r, t0);
    } catch (e) {
      return failed(e, t0);
    }
  };
}

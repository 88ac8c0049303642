/**
 * Attaches the config request handlers (`config-handlers.ts`) to the SDK gRPC server, counted and
 * timed like the naming ones, every NacosError answered as a typed failure of the request's own
 * response type (ConfigQueryResponse failures keep the fields the Rust SDK needs).
 */
import type { AppContext } from '../../app-context.js';
import { badRequest, NacosError } from '../../core/errors.js';
import { paramCheck } from '../../config-center/validation.js';
import { parsePattern } from '../../fuzzy/pattern.js';
import { handleFuzzyWatch, type FuzzyWatchBody } from './fuzzy-watch-handler.js';
import { bindConfigListen } from './config-listen.js';
import { CONFIG_RESPONSE_TYPES, configHandlers, failure, QUERY_FAILURE_FIELDS } from './config-handlers.js';
import { instrument, namingResponseType, type TypedFailure } from './naming-binding.js';
import type { SdkGrpcServer } from './sdk-server.js';

/** The response type of an SDK request type (config or naming; `ErrorResponse` for any other). */
export function sdkResponseType(requestType: string): string {
  return CONFIG_RESPONSE_TYPES[requestType] ?? namingResponseType(requestType);
}

/** Every NacosError as a typed failure of the request's own response type. */
export const configFailure: TypedFailure = (type, e) => {
  if (!(e instanceof NacosError)) return null;
  const responseType = sdkResponseType(type);
  return failure(responseType, e.status, e.message, responseType === 'ConfigQueryResponse' ? QUERY_FAILURE_FIELDS : {});
};

export const CONFIG_FUZZY_WATCH_REQUEST = 'ConfigFuzzyWatchRequest';

/** Nacos runs the parameter checker on the pattern's namespace (docs/protocol/config.md §2.8). */
function checkPatternNamespace(b: FuzzyWatchBody, chars: boolean): void {
  const why = paramCheck({ tenant: parsePattern(b.groupKeyPattern).namespace }, chars);
  if (why !== null) throw badRequest(`Param check invalid:${why}`);
}

/** Registers the config handlers on `grpc` (no-op without a configuration center). */
export function bindConfigHandlers(grpc: SdkGrpcServer, ctx: AppContext): void {
  const center = ctx.configCenter;
  if (!center) return;
  const handlers = configHandlers(center, ctx.config.bool('nacos.core.param.check.enabled'));
  for (const [type, h] of Object.entries(handlers)) grpc.registerHandler(type, instrument(type, ctx, h, configFailure));
  if (ctx.configListening) bindConfigListen(grpc, ctx, ctx.configListening);
  const fuzzy = ctx.configListening?.fuzzy;
  if (fuzzy) {
    const chars = ctx.config.bool('nacos.core.param.check.enabled');
    const h = (body: unknown, rc: { connection: { id: string } }) =>
      handleFuzzyWatch(fuzzy, sdkResponseType(CONFIG_FUZZY_WATCH_REQUEST), body, rc.connection.id, (b) => checkPatternNamespace(b, chars));
    grpc.registerHandler(CONFIG_FUZZY_WATCH_REQUEST, instrument(CONFIG_FUZZY_WATCH_REQUEST, ctx, h, configFailure));
  }
}

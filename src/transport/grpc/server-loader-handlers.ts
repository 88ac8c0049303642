/**
 * The loader requests of the SDK port (docs/protocol/nacos3.md "Loader requests"), which Nacos
 * answers on every gRPC port: `ServerLoaderInfoRequest` → this member's connection counts and load
 * as strings in `loaderMetrics`; `ServerReloadRequest` (`reloadCount` = connections to keep,
 * `reloadServer` = where to send the others) → `ok` or `ignore`, moving at most a tenth of the
 * SDK connections through the same hand-over as the rebalance (cluster/connection-moves.ts).
 * Admin only when auth is on (naming-scope.ts).
 */
import { z } from 'zod';
import type { ServerLoader } from '../../app-context.js';
import type { NamingHandler } from './naming-handlers.js';
import { parseBody } from './validation.js';

export const LOADER_INFO_REQUEST = 'ServerLoaderInfoRequest';
export const LOADER_INFO_RESPONSE = 'ServerLoaderInfoResponse';
export const RELOAD_REQUEST = 'ServerReloadRequest';
export const RELOAD_RESPONSE = 'ServerReloadResponse';

const reloadRequest = z.object({
  // Java `int`: absent reads as 0.
  reloadCount: z.number().int().safe().nullish(),
  reloadServer: z.string().nullish(),
});

const ok = (extra: object) => ({ resultCode: 200, errorCode: 0, message: null, requestId: null, success: true, ...extra });

export function serverLoaderHandlers(loader: ServerLoader): Record<string, NamingHandler> {
  return {
    [LOADER_INFO_REQUEST]: () => ({ type: LOADER_INFO_RESPONSE, body: ok({ loaderMetrics: loader.loaderMetrics() }) }),
    [RELOAD_REQUEST]: (body) => {
      const b = parseBody(reloadRequest, body);
      const server = b.reloadServer?.trim();
      return { type: RELOAD_RESPONSE, body: ok({ message: loader.reload(b.reloadCount ?? 0, server ? server : undefined) }) };
    },
  };
}

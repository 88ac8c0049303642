/**
 * `NamingFuzzyWatchRequest` and `ConfigFuzzyWatchRequest` on the SDK port (Nacos 3,
 * docs/fuzzy-watch.md "Requests"): WATCH or CANCEL_WATCH of one `namespace>>group>>resource`
 * pattern. The namespace comes from the pattern, never from the request's `namespace` field (which
 * only the auth headers use in Nacos). The answer is immediate; the sync and change pushes follow
 * from the engine (fuzzy/engine.ts).
 */
import { z } from 'zod';
import { badRequest } from '../../core/errors.js';
import type { FuzzyWatchCore } from '../../fuzzy/engine.js';
import type { TypedMessage } from '../../wire/codec.js';
import type { NamingHandler } from './naming-handlers.js';
import { parseBody } from './validation.js';

export const FUZZY_WATCH_REQUEST = 'NamingFuzzyWatchRequest';
export const FUZZY_WATCH_RESPONSE = 'NamingFuzzyWatchResponse';

const fuzzyWatchRequest = z.object({
  groupKeyPattern: z.string().min(1),
  namespace: z.string().nullish(),
  // Java always sends a set (maybe empty); absent or null reads as empty.
  receivedGroupKeys: z.array(z.string()).nullish(),
  // Java's `isInitializing`, serialised by Jackson as `initializing`.
  initializing: z.boolean().nullish(),
  watchType: z.string().nullish(),
});

export type FuzzyWatchBody = z.infer<typeof fuzzyWatchRequest>;

/**
 * One fuzzy-watch request against one member's engine, answered with `responseType`. `check` runs
 * on the parsed body before anything is registered (config: Nacos' parameter checker). Throws a
 * 400 NacosError for a body it cannot read, an unknown watch type or a malformed pattern.
 */
export function handleFuzzyWatch(engine: FuzzyWatchCore, responseType: string, body: unknown, connectionId: string, check?: (b: FuzzyWatchBody) => void): TypedMessage {
  const b = parseBody(fuzzyWatchRequest, body);
  check?.(b);
  const ok = { type: responseType, body: { resultCode: 200, errorCode: 0, message: null, requestId: null, success: true } };
  if (b.watchType === 'CANCEL_WATCH') {
    engine.cancel(connectionId, b.groupKeyPattern);
    return ok;
  }
  if (b.watchType !== 'WATCH') throw badRequest(`Unsupported request type ${b.watchType ?? 'null'}`);
  const r = engine.watch(connectionId, b.groupKeyPattern, b.receivedGroupKeys ?? [], b.initializing === true);
  if (r.ok) return ok;
  return { type: responseType, body: { resultCode: 500, errorCode: r.errorCode, message: r.message, requestId: null, success: false } };
}

/** The handler table entry for naming fuzzy watch, bound to one member's engine. */
export function fuzzyWatchHandlers(engine: FuzzyWatchCore): Record<string, NamingHandler> {
  return { [FUZZY_WATCH_REQUEST]: (body, hc) => handleFuzzyWatch(engine, FUZZY_WATCH_RESPONSE, body, hc.connectionId) };
}

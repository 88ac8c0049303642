/**
 * `NamingFuzzyWatchRequest` on the SDK port (Nacos 3, docs/fuzzy-watch.md "Requests"): WATCH or
 * CANCEL_WATCH of one `namespace>>group>>service` pattern. The namespace comes from the pattern,
 * never from the request's `namespace` field (which only the auth headers use in Nacos). The answer
 * is immediate; the sync and change pushes follow from the engine (naming/fuzzy-watch.ts).
 */
import { z } from 'zod';
import { badRequest } from '../../core/errors.js';
import type { FuzzyWatchEngine } from '../../naming/fuzzy-watch.js';
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

/** The handler table entry for fuzzy watch, bound to one member's engine. */
export function fuzzyWatchHandlers(engine: FuzzyWatchEngine): Record<string, NamingHandler> {
  return {
    [FUZZY_WATCH_REQUEST]: (body, hc) => {
      const b = parseBody(fuzzyWatchRequest, body);
      const ok = { type: FUZZY_WATCH_RESPONSE, body: { resultCode: 200, errorCode: 0, message: null, requestId: null, success: true } };
      if (b.watchType === 'CANCEL_WATCH') {
        engine.cancel(hc.connectionId, b.groupKeyPattern);
        return ok;
      }
      if (b.watchType !== 'WATCH') throw badRequest(`Unsupported request type ${b.watchType ?? 'null'}`);
      const r = engine.watch(hc.connectionId, b.groupKeyPattern, b.receivedGroupKeys ?? [], b.initializing === true);
      if (r.ok) return ok;
      return { type: FUZZY_WATCH_RESPONSE, body: { resultCode: 500, errorCode: r.errorCode, message: r.message, requestId: null, success: false } };
    },
  };
}

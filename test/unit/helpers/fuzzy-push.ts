/** A fuzzy-watch push sink for unit tests: records every push and can fail the next n of them. */
import type { FuzzyPushSink } from '../../../src/fuzzy/engine.js';

export interface Pushed {
  conn: string;
  type: string;
  body: Record<string, unknown>;
}

export function recordingPushSink(): { pushed: Pushed[]; push: FuzzyPushSink; failNext: (n: number) => number } {
  const pushed: Pushed[] = [];
  let failing = 0;
  const push: FuzzyPushSink = (conn, type, body) => {
    pushed.push({ conn, type, body });
    if (failing > 0) {
      failing--;
      return Promise.reject(new Error('nack'));
    }
    return Promise.resolve();
  };
  return { pushed, push, failNext: (n) => (failing = n) };
}

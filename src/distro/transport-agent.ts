import type { Clock } from '../core/clock.js';
import type { DistroOutcome, DistroRequest, DistroResponse, ResponseOf } from './messages.js';

/**
 * The seam to the cluster transport (gRPC in production, a simulated network in tests).
 * `send` must eventually call `done` (a response, or `{type:'failed'}`); calling it late or twice is
 * tolerated: the core enforces `timeoutMs` itself and ignores everything after the first outcome.
 * The receiving side calls `DistroProtocol.handle(request)` and returns its response.
 */
export interface DistroTransportAgent {
  send(target: string, request: DistroRequest, timeoutMs: number, done: (outcome: DistroOutcome) => void): void;
}

/** A response of the expected type, or a failure reason (error responses and wrong types included). */
export type Expected<T extends DistroRequest['type']> = { ok: true; response: ResponseOf[T] } | { ok: false; reason: string };

/**
 * Sends one request with an enforced timeout and a once-only callback. A transport that throws
 * synchronously counts as a failure. The callback runs at most once, never synchronously inside
 * this call unless the transport itself answers synchronously.
 */
export function request<T extends DistroRequest['type']>(
  agent: DistroTransportAgent,
  clock: Clock,
  target: string,
  req: DistroRequest & { type: T },
  timeoutMs: number,
  done: (result: Expected<T>) => void,
): void {
  let finished = false;
  const finish = (r: Expected<T>): void => {
    if (finished) return;
    finished = true;
    timer.cancel();
    done(r);
  };
  const timer = clock.setTimeout(() => finish({ ok: false, reason: 'timeout' }), timeoutMs);
  try {
    agent.send(target, req, timeoutMs, (outcome) => finish(interpret(req.type, outcome)));
  } catch (e) {
    finish({ ok: false, reason: e instanceof Error ? e.message : String(e) });
  }
}

const EXPECTED: Record<DistroRequest['type'], DistroResponse['type']> = {
  sync: 'sync-ack',
  'verify-digest': 'verify-digest-result',
  'verify-list': 'verify-list-result',
  snapshot: 'snapshot-chunk',
};

function interpret<T extends DistroRequest['type']>(type: T, outcome: DistroOutcome): Expected<T> {
  if (outcome.type === 'failed') return { ok: false, reason: outcome.reason };
  if (outcome.type === 'error') return { ok: false, reason: `peer error: ${outcome.message}` };
  if (outcome.type !== EXPECTED[type]) return { ok: false, reason: `unexpected response ${outcome.type} to ${type}` };
  return { ok: true, response: outcome as ResponseOf[T] };
}

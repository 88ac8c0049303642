/**
 * The real probes: a TCP connect (node:net) and an HTTP GET (node:http), both bounded by the
 * target's timeout. Nothing is sent on a TCP probe and no connection is reused (Nacos: same).
 */
import { request, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import type { ProbeResult, ProbeTarget, Prober } from './probe.js';

/** User-Agent of HTTP probes (Nacos sends `VIPServer`). */
const USER_AGENT = 'VIPServer';

function errorResult(err: unknown): ProbeResult {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  return code === 'ECONNREFUSED' ? { ok: false, refused: true, reason } : { ok: false, reason };
}

/**
 * Settles a probe once: the returned `finish` clears the timeout, runs `cleanup` and resolves;
 * later calls are ignored. After `timeoutMs` it finishes as a timeout.
 */
function settleOnce(resolve: (r: ProbeResult) => void, timeoutMs: number, what: string, cleanup: () => void): (r: ProbeResult) => void {
  let done = false;
  const finish = (r: ProbeResult) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    cleanup();
    resolve(r);
  };
  const timer = setTimeout(() => finish({ ok: false, timedOut: true, reason: `${what} timeout after ${timeoutMs} ms` }), timeoutMs);
  return finish;
}

export function tcpProbe(ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port });
    const finish = settleOnce(resolve, timeoutMs, 'connect', () => socket.destroy());
    socket.once('connect', () => finish({ ok: true }));
    socket.once('error', (e) => finish(errorResult(e)));
  });
}

export function httpProbe(
  ip: string,
  port: number,
  path: string,
  headers: Readonly<Record<string, string>>,
  expectedStatus: number,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let req: ClientRequest;
    try {
      req = request({
        host: ip,
        port,
        path,
        method: 'GET',
        headers: { 'User-Agent': USER_AGENT, Connection: 'close', ...headers },
        agent: false,
      });
    } catch (e) {
      // Invalid path or header (node:http validates synchronously).
      resolve({ ok: false, reason: e instanceof Error ? e.message : String(e) });
      return;
    }
    const finish = settleOnce(resolve, timeoutMs, 'http', () => req.destroy());
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      finish(status === expectedStatus ? { ok: true, status } : { ok: false, status, reason: `http status ${status}` });
    });
    req.once('error', (e) => finish(errorResult(e)));
    req.end();
  });
}

/** TCP and HTTP probes over the network. */
export const netProber: Prober = {
  probe(t: ProbeTarget): Promise<ProbeResult> {
    if (t.kind === 'HTTP') return httpProbe(t.ip, t.port, t.path, t.headers, t.expectedStatus, t.timeoutMs);
    return tcpProbe(t.ip, t.port, t.timeoutMs);
  },
};

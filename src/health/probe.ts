/**
 * What a health probe is asked to do and what it reports, and how a report is judged
 * (docs/protocol/persistent.md §3.2). Pure: the engine and the real probers share these.
 */

/** One probe: a TCP connect, or an HTTP GET of `http://ip:port<path>`. */
export type ProbeTarget =
  | { readonly kind: 'TCP'; readonly ip: string; readonly port: number; readonly timeoutMs: number }
  | {
      readonly kind: 'HTTP';
      readonly ip: string;
      readonly port: number;
      readonly timeoutMs: number;
      /** Always starts with `/`. */
      readonly path: string;
      readonly headers: Readonly<Record<string, string>>;
      /** Status that counts as healthy (the checker's `expectedResponseCode`, default 200). */
      readonly expectedStatus: number;
    };

export interface ProbeResult {
  /** The probe succeeded (connected; HTTP: answered the expected status). */
  ok: boolean;
  /** The connection was refused (nothing listens on the port). */
  refused?: boolean;
  /** No answer within the timeout. */
  timedOut?: boolean;
  /** HTTP: the status answered. */
  status?: number;
  /** Human-readable failure reason for logs. */
  reason?: string;
}

/** Performs probes; injected so the engine runs on fakes in tests. */
export interface Prober {
  probe(target: ProbeTarget): Promise<ProbeResult>;
}

/**
 * How a result counts (Nacos HealthCheckCommonV2): `success`; `fail` (counted: needs `checkTimes`
 * in a row to turn an instance unhealthy); `fail-now` (unhealthy at once).
 * - connection refused → fail-now (TCP and HTTP);
 * - HTTP: the expected status → success (Nacos ignores `expectedResponseCode` and wants 200; we
 *   honour it); 503 or 302 → fail; any other status → fail-now;
 * - timeouts and other errors → fail.
 */
export type Verdict = 'success' | 'fail' | 'fail-now';

export function verdictOf(target: ProbeTarget, r: ProbeResult): Verdict {
  if (target.kind === 'HTTP' && r.status !== undefined) {
    if (r.status === target.expectedStatus) return 'success';
    return r.status === 503 || r.status === 302 ? 'fail' : 'fail-now';
  }
  if (r.ok) return 'success';
  return r.refused ? 'fail-now' : 'fail';
}

/**
 * Parses Nacos' `Http.headers` string: `k:v` pairs separated by `|` (the value is everything after
 * the first `:`); blank or malformed pairs and names that are not HTTP tokens are skipped.
 */
export function parseCheckHeaders(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split('|')) {
    const i = pair.indexOf(':');
    if (i <= 0) continue;
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    // Token chars only (RFC 9110), and no control characters in the value: node:http would throw.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || hasControlChar(value)) continue;
    out[name] = value;
  }
  return out;
}

function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

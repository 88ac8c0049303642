/**
 * Request parameters the way Nacos' Servlet controllers see them (docs/protocol/http.md §0.2): one map
 * merged from the query string and an `application/x-www-form-urlencoded` body, for every method.
 * The first value of a repeated name wins and the query string comes first (Tomcat's order).
 * `get` follows `WebUtils.optional`: values are trimmed and a blank value counts as absent.
 *
 * Also the Java-flavoured value parsers the controllers rely on (lenient booleans, Java number
 * syntax, the metadata `JSON or k=v` format) and service-name resolution.
 */
import { isUtf8 } from 'node:buffer';
import { NacosError, badRequest } from '../../core/errors.js';
import { DEFAULT_NAMESPACE, type ServiceKey } from '../../core/names.js';
import { javaSplit, resolveServiceKey } from '../../core/service-key.js';


/** A malformed form body or query string (bad percent-encoding, bytes that are not UTF-8). */
export function malformedEncoding(where: 'query string' | 'form body'): NacosError {
  return badRequest(`Malformed ${where}: invalid percent-encoding or UTF-8.`, 20002);
}

/**
 * A form body's bytes: refused unless they are valid UTF-8, the same rule `%XX` escapes follow, so
 * a raw 0xFF byte is refused exactly like `%FF` (instead of becoming U+FFFD in a name).
 */
export function parseFormBody(body: Buffer): Map<string, string> {
  if (!isUtf8(body)) throw malformedEncoding('form body');
  return parseUrlEncoded(body.toString('utf8'), 'form body');
}

/**
 * Strict `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` must be valid UTF-8.
 * Unlike Tomcat (which silently drops an undecodable pair) we reject the request: a silently dropped
 * `ip` would otherwise surface as a confusing "Param 'ip' is required.". A query string must be
 * ASCII (RFC 3986): Node's parser refuses raw bytes >= 0x80 in a request line, and whatever gets
 * past it (a latin1-decoded URL) is refused here like a bad escape.
 */
export function parseUrlEncoded(text: string, where: 'query string' | 'form body'): Map<string, string> {
  const out = new Map<string, string>();
  if (text === '') return out;
  if (where === 'query string' && hasNonAscii(text)) throw malformedEncoding(where);
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = formDecode(rawKey);
      value = formDecode(rawValue);
    } catch {
      throw malformedEncoding(where);
    }
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

function hasNonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return true;
  return false;
}

/** One form-encoded token; most carry neither `%` nor `+` and are returned as they are. */
function formDecode(s: string): string {
  if (s.indexOf('%') < 0) return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ');
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

export class Params {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** Merges the URL's query string and an already parsed form body (query first). */
  static from(url: string, body: unknown): Params {
    const q = url.indexOf('?');
    const query = q < 0 ? new Map<string, string>() : parseUrlEncoded(url.slice(q + 1), 'query string');
    if (body instanceof Map) {
      for (const [k, v] of body as Map<unknown, unknown>) {
        if (typeof k === 'string' && typeof v === 'string' && !query.has(k)) query.set(k, v);
      }
    }
    return new Params(query);
  }

  static of(values: Record<string, string>): Params {
    return new Params(new Map(Object.entries(values)));
  }

  /** All parameters as an `application/x-www-form-urlencoded` body (for forwarding). */
  toFormBody(): string {
    const u = new URLSearchParams();
    for (const [k, v] of this.values) u.append(k, v);
    return u.toString();
  }

  /** The value as received (untrimmed), or undefined. The parameter checker reads these. */
  raw(name: string): string | undefined {
    return this.values.get(name);
  }

  /** `WebUtils.optional`: trimmed; blank → undefined. */
  get(name: string): string | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    const t = v.trim();
    return t === '' ? undefined : t;
  }

  /** The first non-blank of several names (e.g. `clusterName` then `cluster`). */
  first(...names: string[]): string | undefined {
    for (const n of names) {
      const v = this.get(n);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /**
   * Trimmed non-blank values as a plain object, with the aliases every naming controller accepts
   * resolved: `enabled` ← `enable`, `clusterName` ← `cluster` (docs/protocol/http.md §1.1; the primary name wins).
   */
  view(): Record<string, string | undefined> {
    const out: Record<string, string | undefined> = {};
    for (const k of this.values.keys()) {
      const v = this.get(k);
      if (v !== undefined) out[k] = v;
    }
    out['enabled'] = this.first('enabled', 'enable');
    out['clusterName'] = this.first('clusterName', 'cluster');
    return out;
  }
}

// ------------------------------------------------------------------ Java value parsing

/** Nacos `ConvertUtils.toBoolean`: `true, t, y, yes, on` (any case) are true, everything else false. */
export function lenientBool(v: string): boolean {
  return ['true', 't', 'y', 'yes', 'on'].includes(v.trim().toLowerCase());
}

/** Java `Boolean.parseBoolean`: only `true` (any case). */
export function javaBool(v: string): boolean {
  return v.toLowerCase() === 'true';
}

/** Java's NumberFormatException text. */
export function numberFormatMessage(v: string): string {
  return `For input string: "${v}"`;
}

/** Java `Integer.parseInt`: optional sign, decimal digits, 32-bit range. null when Java would throw. */
export function javaInt(v: string): number | null {
  if (!/^[+-]?\d+$/.test(v)) return null;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : null;
}

/** Java `Long.parseLong` within the JS safe range. */
export function javaLong(v: string): number | null {
  if (!/^[+-]?\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Java `Double.parseDouble` / `Float.parseFloat` for decimal input: surrounding whitespace,
 * sign, `1`, `1.`, `.5`, exponents, a trailing `d`/`f` suffix, `NaN`, `Infinity`. Hex floats are
 * not accepted (no client sends them).
 */
export function javaDouble(v: string): number | null {
  const t = v.trim();
  const m = /^([+-]?)(NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?$/.exec(t);
  if (!m) return null;
  if (m[2] === 'NaN') return NaN;
  if (m[2] === 'Infinity') return m[1] === '-' ? -Infinity : Infinity;
  return Number(`${m[1]}${m[2]}`);
}

/** Java `String.split(sep)` (kept in core: the service-name rules use it too). */
export { javaSplit };

/**
 * Nacos `UtilsAndCommons.parseMetadata`: a JSON object of scalar values, else `k=v,k2=v2`.
 * A fragment that does not split into exactly two parts on `=` is rejected with
 * `metadata format incorrect:<text>` (400). Java split semantics are kept: `k=v,` is fine
 * (trailing empty fragment dropped), `k=` is not (one part), `=v` gives an empty key.
 */
export function parseMetadata(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text.trim() === '') return out;
  const json = tryJsonObject(text);
  if (json) return json;
  for (const fragment of javaSplit(text, ',')) {
    const kv = javaSplit(fragment, '=');
    if (kv.length !== 2) throw badRequest(`metadata format incorrect:${text}`, 21002);
    out[kv[0]!] = kv[1]!;
  }
  return out;
}

/** A JSON object whose values are strings, numbers or booleans (Jackson coerces those to String). */
function tryJsonObject(text: string): Record<string, string> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (v === null) continue;
    else return null;
  }
  return out;
}

// ------------------------------------------------------------------ service names

export function namespaceOf(v: string | undefined): string {
  return v === undefined ? DEFAULT_NAMESPACE : v;
}

/**
 * v1 naming: `serviceName` may be plain or grouped (Nacos' `ServiceNameFilter` prepends `groupName`,
 * default DEFAULT_GROUP, to a plain one, docs/protocol/http.md §0.3 step 3); a grouped name whose group differs
 * from `groupName` is refused (core/service-key.ts).
 */
export function serviceKeyV1(namespace: string | undefined, serviceName: string, groupName: string | undefined): ServiceKey {
  return resolveServiceKey({ namespace, groupName, serviceName }, 'grouped');
}

/**
 * v2/v3: `serviceName` is the bare name and `groupName` separate. Nacos would build a broken
 * `group@@a@@b` service from a grouped name here; we reject it instead.
 */
export function serviceKeyV2(namespace: string | undefined, serviceName: string, groupName: string | undefined): ServiceKey {
  return resolveServiceKey({ namespace, groupName, serviceName }, 'bare');
}

/** Nacos naming constants, name joining rules and the parameter checker's rules. Pure functions. */

export const DEFAULT_NAMESPACE = 'public';
export const DEFAULT_GROUP = 'DEFAULT_GROUP';
export const DEFAULT_CLUSTER = 'DEFAULT';
export const GROUP_SEP = '@@';

/** Identity of a service: namespace, group and bare name. */
export interface ServiceKey {
  readonly namespace: string;
  readonly group: string;
  readonly name: string;
}

/** `namespace@@group@@name`: the map key for a service. */
export function serviceKeyId(k: ServiceKey): string {
  return `${k.namespace}${GROUP_SEP}${k.group}${GROUP_SEP}${k.name}`;
}

export function parseServiceKeyId(id: string): ServiceKey {
  const a = id.indexOf(GROUP_SEP);
  const b = id.indexOf(GROUP_SEP, a + 2);
  return { namespace: id.slice(0, a), group: id.slice(a + 2, b), name: id.slice(b + 2) };
}

/** `group@@name`. */
export function groupedName(group: string, name: string): string {
  return `${group}${GROUP_SEP}${name}`;
}

/** Splits `group@@name`; a name with no `@@` takes `defaultGroup`. */
export function splitGroupedName(serviceName: string, defaultGroup = DEFAULT_GROUP): { group: string; name: string } {
  const i = serviceName.indexOf(GROUP_SEP);
  if (i < 0) return { group: defaultGroup, name: serviceName };
  return { group: serviceName.slice(0, i), name: serviceName.slice(i + 2) };
}

export function normalizeNamespace(ns: string | null | undefined): string {
  const t = (ns ?? '').trim();
  return t === '' ? DEFAULT_NAMESPACE : t;
}

export function normalizeGroup(g: string | null | undefined): string {
  const t = (g ?? '').trim();
  return t === '' ? DEFAULT_GROUP : t;
}

export function normalizeCluster(c: string | null | undefined): string {
  const t = (c ?? '').trim();
  return t === '' ? DEFAULT_CLUSTER : t;
}

/** Splits a comma-joined cluster filter; empty means "all clusters". */
export function parseClusters(s: string | null | undefined): string[] {
  if (!s) return [];
  return s
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

// ---- parameter checker (Nacos ParamCheckRule defaults). Each returns an error message or null. ----

// Nacos matches the whole value (Pattern.matcher().matches()), so anchor both ends.
const NAMESPACE_RE = /^[\w-]+$/;
const SERVICE_RE = /^(?!@).((?!@@)[^\u4E00-\u9FA5\s])*$/;
const GROUP_RE = /^[a-zA-Z0-9\-_:.]*$/;
const CLUSTER_RE = /^[0-9a-zA-Z\-_]+$/;
/** Stricter rule used when an instance is registered (no underscore). */
export const INSTANCE_CLUSTER_RE = /^[0-9a-zA-Z-]+$/;
const IP_RE = /^[^\u4E00-\u9FA5\s]*$/;

/**
 * Length limits of names (Nacos `ParamCheckRule`). They bound what one request can make the server
 * keep, so they apply on every path even with the parameter checker off (`chars = false` then skips
 * only the character rules); docs/security.md §9.
 */
export const LIMITS = {
  namespace: 64,
  serviceName: 512,
  group: 128,
  cluster: 64,
  ip: 128,
  metadata: 1024,
  /** Namespace display name (Nacos' console checker). */
  namespaceShowName: 256,
  /** Namespace description: the width of Nacos' `tenant_desc` column; our rule (Nacos' checker has none). */
  namespaceDesc: 256,
} as const;

const NAMESPACE_SHOW_NAME_RE = /^[^@#$%^&*]+$/;

const illegalLength = (p: string, n: number) => `Param '${p}' is illegal, the param length should not exceed ${n}.`;
const illegalChars = (p: string) => `Param '${p}' is illegal, illegal characters should not appear in the param.`;

/** Nacos' check of one value: blank passes, then the length, then (when `chars`) the pattern. */
function checkValue(v: string, param: string, max: number, re: RegExp, chars: boolean): string | null {
  if (v === '') return null;
  if (v.length > max) return illegalLength(param, max);
  if (chars && !re.test(v)) return illegalChars(param);
  return null;
}

export function checkNamespaceId(v: string, chars = true): string | null {
  return checkValue(v, 'namespaceId/tenant', LIMITS.namespace, NAMESPACE_RE, chars);
}

export function checkServiceName(v: string, chars = true): string | null {
  return checkValue(v, 'serviceName', LIMITS.serviceName, SERVICE_RE, chars);
}

export function checkGroup(v: string, chars = true): string | null {
  return checkValue(v, 'group', LIMITS.group, GROUP_RE, chars);
}

export function checkClusters(v: string, chars = true): string | null {
  for (const c of v.split(',')) {
    const e = checkValue(c, 'cluster', LIMITS.cluster, CLUSTER_RE, chars);
    if (e) return e;
  }
  return null;
}

export function checkIp(v: string, chars = true): string | null {
  if (v.length > LIMITS.ip) return illegalLength('ip', LIMITS.ip);
  if (chars && !IP_RE.test(v)) return illegalChars('ip');
  return null;
}

/** A namespace's display name (Nacos' console checker: `namespaceShowName`). */
export function checkNamespaceShowName(v: string, chars = true): string | null {
  return checkValue(v, 'namespaceShowName', LIMITS.namespaceShowName, NAMESPACE_SHOW_NAME_RE, chars);
}

/** A namespace's description: length only. */
export function checkNamespaceDesc(v: string): string | null {
  return v.length > LIMITS.namespaceDesc ? illegalLength('namespaceDesc', LIMITS.namespaceDesc) : null;
}

export function checkPort(v: number): string | null {
  if (!Number.isInteger(v) || v < 0 || v > 65535) return "Param 'port' is illegal, the value should be between 0 and 65535.";
  return null;
}

export function metadataLength(m: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(m)) n += k.length + v.length;
  return n;
}

export function checkMetadata(m: Record<string, string>, limit: number = LIMITS.metadata): string | null {
  if (metadataLength(m) > limit) return `Param 'Metadata' is illegal, the param length should not exceed ${limit}.`;
  return null;
}

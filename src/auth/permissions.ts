/**
 * Permission matching (docs/auth.md, "Permissions"). A naming request touches a resource: a
 * namespace, a group and a service (`namespaceId:group:naming/serviceName` in a permission's
 * terms); a role's permission names a resource pattern where `*` matches any run of characters
 * (e.g. `public:*:*`, `dev:DEFAULT_GROUP:naming/order-*`) and an action `r`, `w` or `rw`. Unlike
 * Nacos (which turns the pattern into a Java regex), every other character is literal, so a `.` in
 * a service name matches only a `.`.
 *
 * The pattern is matched part by part, not against one joined string: its text up to the first `:`
 * matches the namespace, up to the second `:` the group, the rest `naming/<service>`. Group and
 * service names may contain `:`, so a joined string would let `public:DEFAULT_GROUP:*` match the
 * group `DEFAULT_GROUP:x` (resource `public:DEFAULT_GROUP:x:naming/svc`). A pattern with fewer
 * parts matches the remainder as one text (`*` everything, `public:*` all of public).
 */
import { DEFAULT_GROUP, normalizeNamespace } from '../core/names.js';

export type Action = 'r' | 'w';
export const PERMISSION_ACTIONS = ['r', 'w', 'rw'] as const;
export type PermissionAction = (typeof PERMISSION_ACTIONS)[number];

export interface Permission {
  readonly role: string;
  readonly resource: string;
  readonly action: PermissionAction;
}

/** The global administrator role: passes every check. */
export const ROLE_ADMIN = 'ROLE_ADMIN';

/**
 * What a request touches; `*` in a field means every namespace, group or service/config. `kind`
 * says whether `name` is a service (`naming/<name>`, the default) or a config dataId
 * (`config/<dataId>`, built by config-center/config-resource.ts).
 */
export interface NamingResource {
  readonly namespace: string;
  readonly group: string;
  readonly name: string;
  readonly kind?: 'naming' | 'config';
}

/** "Every" in a NamingResource field (list and namespace-wide requests). */
export const EVERY = '*';

/**
 * A resource from already resolved parts (core/service-key.ts resolves a request's service):
 * blank namespace → `public`, blank group → DEFAULT_GROUP, blank service → every service.
 */
export function namingResource(namespace: string | null | undefined, group: string | null | undefined, serviceName: string | null | undefined): NamingResource {
  const g = (group ?? '').trim();
  const name = (serviceName ?? '').trim();
  return { namespace: normalizeNamespace(namespace), group: g === '' ? DEFAULT_GROUP : g, name: name === '' ? EVERY : name };
}

/** `namespace:group:naming/service` (or `…:config/dataId`), the form permissions are written in (logs, messages). */
export function resourceText(r: NamingResource): string {
  return `${r.namespace}:${r.group}:${nameText(r)}`;
}

const nameText = (r: NamingResource): string => `${r.kind ?? 'naming'}/${r.name}`;

/** A compiled permission pattern: one regex per part (see the module comment). */
type Matcher = (r: NamingResource) => boolean;

const matcherCache = new Map<string, Matcher>();

function globOf(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

function compile(pattern: string): Matcher {
  const first = pattern.indexOf(':');
  const second = first < 0 ? -1 : pattern.indexOf(':', first + 1);
  if (first < 0) {
    const all = globOf(pattern);
    return (r) => all.test(resourceText(r));
  }
  const ns = globOf(pattern.slice(0, first));
  if (second < 0) {
    const rest = globOf(pattern.slice(first + 1));
    return (r) => ns.test(r.namespace) && rest.test(`${r.group}:${nameText(r)}`);
  }
  const group = globOf(pattern.slice(first + 1, second));
  const service = globOf(pattern.slice(second + 1));
  return (r) => ns.test(r.namespace) && group.test(r.group) && service.test(nameText(r));
}

function matcherOf(pattern: string): Matcher {
  let m = matcherCache.get(pattern);
  if (!m) {
    m = compile(pattern);
    if (matcherCache.size > 10_000) matcherCache.clear();
    matcherCache.set(pattern, m);
  }
  return m;
}

/** Whether one permission grants `action` on `resource`. */
export function permits(p: Pick<Permission, 'resource' | 'action'>, resource: NamingResource, action: Action): boolean {
  return p.action.includes(action) && matcherOf(p.resource)(resource);
}

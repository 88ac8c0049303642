/**
 * Permission matching (docs/protocol/http.md §4.3). A naming request touches the resource
 * `namespaceId:group:naming/serviceName`; a role's permission names a resource pattern where `*`
 * matches any run of characters (e.g. `public:*:*`, `dev:DEFAULT_GROUP:naming/order-*`) and an
 * action `r`, `w` or `rw`. Unlike Nacos (which turns the pattern into a Java regex), every other
 * character is literal, so a `.` in a service name matches only a `.`.
 */
import { DEFAULT_GROUP, normalizeNamespace, splitGroupedName } from '../core/names.js';

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
 * The resource string of a naming request. Blank namespace → `public`, blank group → DEFAULT_GROUP
 * (a grouped `group@@name` service name supplies its group), blank service → `*` (list requests).
 */
export function namingResource(namespace: string | null | undefined, group: string | null | undefined, serviceName: string | null | undefined): string {
  const ns = normalizeNamespace(namespace);
  let g = (group ?? '').trim();
  let name = (serviceName ?? '').trim();
  if (name.includes('@@')) {
    const split = splitGroupedName(name);
    if (g === '') g = split.group;
    name = split.name;
  }
  return `${ns}:${g === '' ? DEFAULT_GROUP : g}:naming/${name === '' ? '*' : name}`;
}

const patternCache = new Map<string, RegExp>();

function patternOf(resource: string): RegExp {
  let re = patternCache.get(resource);
  if (!re) {
    const body = resource
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 's');
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(resource, re);
  }
  return re;
}

/** Whether one permission grants `action` on `resource`. */
export function permits(p: Pick<Permission, 'resource' | 'action'>, resource: string, action: Action): boolean {
  return p.action.includes(action) && patternOf(p.resource).test(resource);
}

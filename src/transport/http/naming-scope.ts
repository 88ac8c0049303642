/**
 * What a naming HTTP request acts on — one service, every service of a group, of a namespace, or
 * of every namespace — derived from its parameters by the functions the handlers call, so the auth
 * filter checks the permission on exactly what the handler then reads or changes (docs/auth.md,
 * "Which service a request names"). Parameters are the merged query + form `Params` (first value
 * of a name wins, query first), trimmed, blank = absent: the filter and the handler read the same.
 */
import { EVERY, namingResource, type NamingResource } from '../../auth/permissions.js';
import { normalizeGroup, normalizeNamespace } from '../../core/names.js';
import { serviceV1 } from './instance-form.js';
import type { Params } from './params.js';

/**
 * - `service`: the request's `serviceName` (+ `groupName`), resolved as v1 does (core/service-key.ts);
 *   the v2/v3 handlers that take a bare name resolve the same key or refuse the request.
 * - `group`: every service of `groupName` (default DEFAULT_GROUP) in `namespaceId` (service lists).
 * - `namespace`: every service of `namespaceId` (default public).
 * - `namespaces`: `namespaceId`, or every namespace when it is absent (`service/names`).
 */
export type NamingScope = 'service' | 'group' | 'namespace' | 'namespaces';

/** `namespaceId` (default public) and `groupName` (default DEFAULT_GROUP): what a service list lists. */
export function groupScope(p: Params): { namespace: string; group: string } {
  return { namespace: normalizeNamespace(p.get('namespaceId')), group: normalizeGroup(p.get('groupName')) };
}

/** `namespaceId`, default public. */
export function namespaceScope(p: Params): string {
  return normalizeNamespace(p.get('namespaceId'));
}

/** `namespaceId`, or undefined for every namespace. */
export function namespacesScope(p: Params): string | undefined {
  return p.get('namespaceId');
}

/** The permission resource of a request with this scope. Throws the handler's 400 when it names no service. */
export function scopeResource(scope: NamingScope, p: Params): NamingResource {
  switch (scope) {
    case 'service': {
      const k = serviceV1(p);
      return namingResource(k.namespace, k.group, k.name);
    }
    case 'group': {
      const g = groupScope(p);
      return namingResource(g.namespace, g.group, EVERY);
    }
    case 'namespace':
      return namingResource(namespaceScope(p), EVERY, EVERY);
    case 'namespaces':
      return namingResource(namespacesScope(p) ?? EVERY, EVERY, EVERY);
  }
}

/**
 * What an SDK naming request acts on, for its handler (naming-handlers.ts) and for the auth hook
 * (authorizer.ts) alike, so a permission is checked on exactly the key the handler then uses
 * (docs/auth.md, "Which service a request names"). Every SDK request carries `namespace`,
 * `groupName` and a bare `serviceName` (core/service-key.ts refuses `@@` in it); a ServiceList
 * request lists a whole group and ignores any `serviceName`.
 */
import { z } from 'zod';
import { EVERY, namingResource, type NamingResource } from '../../auth/permissions.js';
import { normalizeGroup, normalizeNamespace, type ServiceKey } from '../../core/names.js';
import { resolveServiceKey, type ServiceRef } from '../../core/service-key.js';
import { parsePattern } from '../../fuzzy/pattern.js';
import { parseBody } from './validation.js';

/** The checked request types: the access each needs and whether it names a service or a group. */
export const NAMING_ACCESS: Readonly<Record<string, { access: 'read' | 'write' | 'admin'; scope: Scope }>> = {
  InstanceRequest: { access: 'write', scope: 'service' },
  BatchInstanceRequest: { access: 'write', scope: 'service' },
  PersistentInstanceRequest: { access: 'write', scope: 'service' },
  ServiceQueryRequest: { access: 'read', scope: 'service' },
  SubscribeServiceRequest: { access: 'read', scope: 'service' },
  ServiceListRequest: { access: 'read', scope: 'group' },
  // The pattern's text is the resource: a permission whose glob covers the pattern covers every
  // service the pattern can match (docs/fuzzy-watch.md "Auth").
  NamingFuzzyWatchRequest: { access: 'read', scope: 'pattern' },
  // Connection counts and moves of the whole member: administrators only.
  ServerLoaderInfoRequest: { access: 'admin', scope: 'server' },
  ServerReloadRequest: { access: 'admin', scope: 'server' },
};

/** What a checked request names: a service, a whole group, or a fuzzy-watch pattern. */
export type Scope = 'service' | 'group' | 'pattern' | 'server';

/** The service a request names. Throws a 400 NacosError for a grouped (`@@`) name. */
export function grpcServiceKey(b: ServiceRef): ServiceKey {
  return resolveServiceKey(b, 'bare');
}

/** The group a ServiceList request lists. */
export function grpcGroupScope(b: { namespace?: string | null | undefined; groupName?: string | null | undefined }): { namespace: string; group: string } {
  return { namespace: normalizeNamespace(b.namespace), group: normalizeGroup(b.groupName) };
}

const optStr = z.string().nullish();
const ServiceFields = z.object({ namespace: optStr, groupName: optStr, serviceName: z.string().min(1) });
const GroupFields = z.object({ namespace: optStr, groupName: optStr });
const PatternFields = z.object({ groupKeyPattern: z.string() });

/** The permission resource of a request body. Throws a 400 NacosError when the body names no service. */
export function grpcResource(scope: Scope, body: unknown): NamingResource | undefined {
  if (scope === 'server') return undefined;
  if (scope === 'pattern') {
    const p = parsePattern(parseBody(PatternFields, body).groupKeyPattern);
    return namingResource(p.namespace, p.group, p.resource);
  }
  if (scope === 'group') {
    const g = grpcGroupScope(parseBody(GroupFields, body));
    return namingResource(g.namespace, g.group, EVERY);
  }
  const k = grpcServiceKey(parseBody(ServiceFields, body));
  return namingResource(k.namespace, k.group, k.name);
}

/**
 * What a config HTTP request acts on, for the auth filter (docs/auth.md "Config resources";
 * docs/protocol/config.md §6): `<namespace>:<group>:config/<dataId>` with the shared rule of
 * config-center/config-resource.ts (a blank group or dataId means every one, so a search or a
 * list without them needs access to the whole namespace).
 *
 * The parameters are read exactly as the route's handler reads them (its family's names:
 * v1 `tenant`/`group`, v2 `namespaceId`/`group`, v3 `namespaceId`/`groupName`; an import's and a
 * console clone's target namespace), so a request cannot be checked on one namespace and act on
 * another by sending both spellings.
 */
import type { NamingResource } from '../../auth/permissions.js';
import { configResource } from '../../config-center/config-resource.js';
import { importTenantOf, namesOfRoute, tenantOf, V1_NAMES } from './config-edge.js';
import type { Params } from './params.js';

/** The console clone names its target namespace apart. */
export const CONSOLE_CLONE_PATH = '/nacos/v3/console/cs/config/clone';
export const CONSOLE_CLONE_TARGET = 'targetNamespaceId';

export function configScopeResource(p: Params, method: string, routePath: string): NamingResource {
  const names = namesOfRoute(routePath);
  let tenant: string;
  if (routePath === CONSOLE_CLONE_PATH) tenant = tenantOf(p, { tenant: [CONSOLE_CLONE_TARGET], group: names.group });
  else if (names === V1_NAMES && method === 'POST' && p.get('import')?.toLowerCase() === 'true') tenant = importTenantOf(p, names);
  else if (routePath.endsWith('/config/import')) tenant = importTenantOf(p, names);
  else tenant = tenantOf(p, names);
  return configResource(tenant, p.get(names.group), p.get('dataId'));
}

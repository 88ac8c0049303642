/**
 * What a config HTTP request acts on, for the auth filter (docs/auth.md "Config resources";
 * docs/protocol/config.md §6), as `<namespace>:<group>:config/<dataId>` with the shared rule of
 * config-center/config-resource.ts (a blank group or dataId means every one, so a search or a
 * list without them needs access to the whole namespace).
 *
 * - `config`: one config. The parameters are read exactly as the route's handler reads them (its
 *   family's names: v1 `tenant`/`group`, v2 `namespaceId`/`group`, v3 `namespaceId`/`groupName`;
 *   an import's and a console clone's target namespace), so a request cannot be checked on one
 *   namespace and act on another by sending both spellings.
 * - `config-poll`: a long poll. Nacos checks only the `tenant` parameter's namespace, whatever the
 *   `Listening-Configs` entries name; Nomen checks namespace-wide access to every namespace the
 *   entries name (and to the `tenant` parameter's), so a poll cannot watch a namespace its user
 *   cannot read. A body that cannot be parsed is refused with the handler's 400.
 */
import type { NamingResource } from '../../auth/permissions.js';
import { configResource } from '../../config-center/config-resource.js';
import { parseListeningConfigs } from '../../config-center/long-polling.js';
import { importTenantOf, namesOfRoute, tenantOf, V1_NAMES } from './config-edge.js';
import type { Params } from './params.js';

export type ConfigScope = 'config' | 'config-poll';

export const CONFIG_SCOPES: readonly string[] = ['config', 'config-poll'] satisfies readonly ConfigScope[];

/** The console clone names its target namespace apart. */
export const CONSOLE_CLONE_PATH = '/nacos/v3/console/cs/config/clone';
export const CONSOLE_CLONE_TARGET = 'targetNamespaceId';

/** The resources a request with this scope must be allowed on (every one of them). */
export function configScopeResources(scope: ConfigScope, p: Params, method: string, routePath: string): NamingResource[] {
  if (scope === 'config') return [configScopeResource(p, method, routePath)];
  const namespaces = new Set(parseListeningConfigs(p.raw('Listening-Configs')).map((e) => e.key.tenant));
  const tenant = p.get('tenant');
  if (tenant !== undefined) namespaces.add(configResource(tenant, null, null).namespace);
  return [...namespaces].map((ns) => configResource(ns, null, null));
}

function configScopeResource(p: Params, method: string, routePath: string): NamingResource {
  const names = namesOfRoute(routePath);
  let tenant: string;
  if (routePath === CONSOLE_CLONE_PATH) tenant = tenantOf(p, { tenant: [CONSOLE_CLONE_TARGET], group: names.group });
  else if (names === V1_NAMES && method === 'POST' && p.get('import')?.toLowerCase() === 'true') tenant = importTenantOf(p, names);
  else if (routePath.endsWith('/config/import')) tenant = importTenantOf(p, names);
  else tenant = tenantOf(p, names);
  return configResource(tenant, p.get(names.group), p.get('dataId'));
}

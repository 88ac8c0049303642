/**
 * What a config HTTP request acts on, for the auth filter (docs/auth.md "Config resources",
 * docs/protocol/config.md §6), derived from the merged query + form parameters:
 *
 * - `config`: one config — namespace from `namespaceId` else `tenant`, group from `groupName` else
 *   `group`, and `dataId`; a blank group or dataId widens it to every group / config (Nacos' rule).
 * - `config-poll`: a long poll. Nacos checks only the `tenant` parameter's namespace, whatever the
 *   `Listening-Configs` entries name; Nomen checks namespace-wide access to every namespace the
 *   entries name (and to the `tenant` parameter's), so a poll cannot watch a namespace its user
 *   cannot read. A body that cannot be parsed is refused with the handler's 400.
 */
import type { NamingResource } from '../../auth/permissions.js';
import { configResource } from '../../config-center/config-resource.js';
import { parseListeningConfigs } from '../../config-center/long-polling.js';
import type { Params } from './params.js';

export type ConfigScope = 'config' | 'config-poll';

export const CONFIG_SCOPES: readonly string[] = ['config', 'config-poll'] satisfies readonly ConfigScope[];

/** The resources a request with this scope must be allowed on (every one of them). */
export function configScopeResources(scope: ConfigScope, p: Params): NamingResource[] {
  if (scope === 'config') {
    return [configResource(p.get('namespaceId') ?? p.get('tenant'), p.get('groupName') ?? p.get('group'), p.get('dataId'))];
  }
  const namespaces = new Set(parseListeningConfigs(p.raw('Listening-Configs')).map((e) => e.key.tenant));
  const tenant = p.get('tenant');
  if (tenant !== undefined) namespaces.add(configResource(tenant, null, null).namespace);
  return [...namespaces].map((ns) => configResource(ns, null, null));
}

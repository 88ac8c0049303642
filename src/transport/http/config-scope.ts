/**
 * What a config HTTP request acts on, for the auth filter (docs/auth.md "Config resources";
 * docs/protocol/config.md §6): `<namespace>:<group>:config/<dataId>` from the request's parameters in
 * any family — the namespace from `namespaceId`, else `tenant`, else the import target
 * `namespace`; the group from `groupName`, else `group`; the dataId — with the shared rule of
 * config-center/config-resource.ts (a blank group or dataId means every one, so a search or list
 * without them needs access to the whole namespace).
 */
import type { NamingResource } from '../../auth/permissions.js';
import { configResource } from '../../config-center/config-resource.js';
import type { Params } from './params.js';

export function configScopeResource(p: Params): NamingResource {
  return configResource(p.first('namespaceId', 'tenant', 'namespace', 'targetNamespaceId'), p.first('groupName', 'group'), p.get('dataId'));
}

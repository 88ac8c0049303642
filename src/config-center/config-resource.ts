/**
 * The permission resource of a config request, for the gRPC auth hook and the HTTP rules alike
 * (docs/auth.md "Config resources"; docs/protocol/config.md §6): `<namespace>:<group>:config/<dataId>`
 * with a blank namespace → `public`, a blank group → `*` and a blank dataId → `*` (every config), so a
 * request naming no group or dataId (batch listen, long poll) needs namespace-wide access.
 */
import { EVERY, type NamingResource } from '../auth/permissions.js';
import { normalizeTenant } from './config-keys.js';

export function configResource(tenant: string | null | undefined, group: string | null | undefined, dataId: string | null | undefined): NamingResource {
  const g = (group ?? '').trim();
  const d = (dataId ?? '').trim();
  return { namespace: normalizeTenant(tenant), group: g === '' ? EVERY : g, name: d === '' ? EVERY : d, kind: 'config' };
}

import type { Instance } from './instance.js';
import type { ServiceMetadata } from './metadata.js';

export interface SelectOptions {
  /** Cluster filter; empty = all. */
  clusters: readonly string[];
  healthyOnly: boolean;
  enabledOnly: boolean;
}

export interface Selection {
  hosts: readonly Instance[];
  reachProtectionThreshold: boolean;
}

/**
 * Nacos' instance selection with healthy protection (ServiceUtil.selectInstancesWithHealthyProtection):
 * cluster filter, enabled-only, healthy-only, then — only for services that have metadata —
 * if healthy/total <= protectThreshold, all selected instances are returned as healthy.
 */
export function selectInstances(all: readonly Instance[], meta: ServiceMetadata | undefined, o: SelectOptions): Selection {
  const clusterSet = o.clusters.length ? new Set(o.clusters) : null;
  let selected: Instance[] = [];
  for (const i of all) {
    if (clusterSet && !clusterSet.has(i.clusterName)) continue;
    if (o.enabledOnly && !i.enabled) continue;
    selected.push(i);
  }
  if (o.healthyOnly) selected = selected.filter((i) => i.healthy);
  // Only a service with a metadata record is protected (docs/protocol/persistent.md §5).
  if (meta && reachesProtectThreshold(selected, meta.protectThreshold)) {
    return { hosts: selected.map((i) => (i.healthy ? i : { ...i, healthy: true })), reachProtectionThreshold: true };
  }
  return { hosts: selected, reachProtectionThreshold: false };
}

/**
 * Nacos' protect-threshold rule, the one place it lives: healthy/total <= protectThreshold (a
 * negative threshold counts as 0). An empty list never reaches it (Nacos divides 0 by 0, and NaN
 * compares false). Used by the selection above and by the catalog's `triggerFlag`
 * (docs/protocol/persistent.md §5).
 */
export function reachesProtectThreshold(instances: readonly Instance[], protectThreshold: number): boolean {
  if (instances.length === 0) return false;
  let healthy = 0;
  for (const i of instances) if (i.healthy) healthy++;
  return healthy / instances.length <= Math.max(protectThreshold, 0);
}

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
  if (!meta || selected.length === 0) return { hosts: selected, reachProtectionThreshold: false };
  let healthy = 0;
  for (const i of selected) if (i.healthy) healthy++;
  const threshold = Math.max(meta.protectThreshold, 0);
  if (healthy / selected.length <= threshold) {
    return { hosts: selected.map((i) => (i.healthy ? i : { ...i, healthy: true })), reachProtectionThreshold: true };
  }
  return { hosts: selected, reachProtectionThreshold: false };
}

/** The cluster-mode classes, loaded only in cluster mode (standalone start-up time and memory). */
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { HybridLogicalClock } from '../distro/hlc.js';

export interface ClusterModules {
  ClusterNode: typeof ClusterNode;
  HybridLogicalClock: typeof HybridLogicalClock;
}

export async function loadClusterModules(): Promise<ClusterModules> {
  const [{ ClusterNode }, { HybridLogicalClock }] = await Promise.all([import('../cluster/cluster-node.js'), import('../distro/hlc.js')]);
  return { ClusterNode, HybridLogicalClock };
}

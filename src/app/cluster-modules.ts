/** The cluster-mode classes, loaded only in cluster mode (standalone start-up time and memory). */
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { RaftLink } from '../cluster/raft-link.js';
import type { HybridLogicalClock } from '../distro/hlc.js';

export interface ClusterModules {
  ClusterNode: typeof ClusterNode;
  HybridLogicalClock: typeof HybridLogicalClock;
  RaftLink: typeof RaftLink;
}

export async function loadClusterModules(): Promise<ClusterModules> {
  const [{ ClusterNode }, { HybridLogicalClock }, { RaftLink }] = await Promise.all([
    import('../cluster/cluster-node.js'),
    import('../distro/hlc.js'),
    import('../cluster/raft-link.js'),
  ]);
  return { ClusterNode, HybridLogicalClock, RaftLink };
}

/** What the HTTP edge is given of the cluster layer in cluster mode (transport/http/cluster-hooks.ts). */
import type { AppContext } from '../app-context.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { HttpClusterHooks } from '../transport/http/cluster-hooks.js';
import { clusterMember } from '../transport/http/members.js';

export function httpClusterHooks(ctx: AppContext, cluster: ClusterNode): HttpClusterHooks {
  return {
    members: () =>
      cluster.memberList().map((m) => clusterMember(ctx, m, m.address === ctx.member.address ? cluster.members.selfDescription() : {})),
    responsibleTag: (t) => cluster.distro.responsibleTag(t),
    mapSrv: (t) => cluster.distro.mapSrv(t),
    distroState: () => cluster.state(),
    forwardTimeoutMs: ctx.config.int('nomen.cluster.forward.timeout-ms'),
  };
}

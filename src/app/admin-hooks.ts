/** What the HTTP core admin APIs are given of the Raft store, the SDK port and connection moves (transport/http/admin-hooks.ts). */
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { ConnectionMoves } from '../cluster/connection-moves.js';
import { RAFT_GROUP, type RaftStore } from '../persistence/raft-store.js';
import type { SdkGrpcServer } from '../transport/grpc/sdk-server.js';
import type { AdminHooks } from '../transport/http/admin-hooks.js';
import { STANDALONE_RAFT_ID } from './persistent-store.js';

export function adminHooks(store: RaftStore, grpc: SdkGrpcServer, moves: ConnectionMoves, self: string, cluster: ClusterNode | null): AdminHooks {
  // Standalone the one voter has a fixed id; the member JSON shows this member's address instead.
  const address = (id: string) => (id === STANDALONE_RAFT_ID ? self : id);
  return {
    raftGroup: () => {
      const st = store.status();
      if (!st) return null;
      return { group: RAFT_GROUP, leader: st.leader === '' ? '' : address(st.leader), term: st.term, voters: st.conf.voters.map(address), isLeader: st.role === 'leader' };
    },
    transferLeader: async (to) => {
      const host = store.raft;
      if (!host || host.node.role !== 'leader') return false;
      return host.transferLeadership(to);
    },
    connections: () =>
      grpc.listConnections().map((c) => ({
        id: c.id,
        clientIp: c.clientIp,
        remoteIp: c.remoteIp,
        remotePort: c.remotePort,
        clientVersion: c.clientVersion,
        appName: c.appName,
        namespace: c.namespace,
        labels: c.labels,
        createdAt: c.createdAt,
      })),
    moveConnection: (id, target) => moves.moveConnection(id, target),
    askConnection: (id, type, body, timeoutMs) => grpc.request(id, type, body, timeoutMs),
    lookupType: cluster ? cluster.lookupKind : 'standalone',
  };
}

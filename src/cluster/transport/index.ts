export { ClusterTransport, type ClusterTransportOptions, type ClusterTransportStats } from './cluster-transport.js';
export { ClusterRequestError, type ClusterFailure } from './errors.js';
export type { ClusterHandler } from './server.js';
export type { PeerStats } from './client-pool.js';
export { CLUSTER_PORT_OFFSET, clusterTargetOf } from './client-pool.js';
export { readClusterTls, type ClusterTlsMaterial, type ClusterTlsPaths } from './tls.js';
export { DEFAULT_MAX_SKEW_MS, HEADER_MEMBER, HEADER_SIG, HEADER_TS } from './auth.js';

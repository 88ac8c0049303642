/**
 * Every configuration key Nomen reads. Nacos' own property names where Nacos has one; `nomen.*`
 * for our own. Each key can also be set by an environment variable: the key upper-cased with `.`
 * and `-` turned into `_` (e.g. NACOS_NAMING_CLIENT_EXPIRED_TIME). Documented in README.md.
 */
export type KeyType = 'int' | 'bool' | 'string' | 'float';

export interface KeySpec {
  readonly type: KeyType;
  readonly default: string;
  readonly description: string;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
}

export const CONFIG_KEYS = {
  'nacos.server.main.port': { type: 'int', default: '8848', min: 1, max: 64535, description: 'HTTP port; SDK gRPC is port+1000, cluster gRPC port+1001 (flag --port)' },
  'nomen.server.host': { type: 'string', default: '0.0.0.0', description: 'Address to bind (flag --host)' },
  'nacos.inetutils.ip-address': { type: 'string', default: '', description: 'Address this member advertises to peers; default: --host if specific, else the first non-internal IPv4, else 127.0.0.1' },
  'nomen.data.dir': { type: 'string', default: './data', description: 'Directory for durable state (flag --data-dir)' },
  'nacos.standalone': { type: 'bool', default: 'true', description: 'Run as a single member (flag --standalone)' },
  'nacos.member.list': { type: 'string', default: '', description: 'Comma-separated ip[:port] cluster members (flag --members)' },
  'nomen.cluster.conf': { type: 'string', default: '', description: 'Path of a cluster.conf member list, one ip[:port] per line (flag --cluster-conf)' },
  'nomen.log.level': { type: 'string', default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'Log level (pino)' },
  'nacos.naming.client.expired.time': { type: 'int', default: '180000', min: 1000, description: 'ms after which an ip:port client with no instances (and, in a cluster, an unrefreshed replica) is removed' },
  'nacos.naming.expireInstance': { type: 'bool', default: 'true', description: 'Remove heartbeat instances after their delete timeout (30 s default)' },
  'nomen.naming.heartbeat.check-interval-ms': { type: 'int', default: '5000', min: 100, description: 'Interval of the heartbeat/expiry checks (Nacos: 5000)' },
  'nacos.naming.service.metadata.length': { type: 'int', default: '1024', min: 1, description: 'Max total length of instance metadata keys and values' },
  'nomen.naming.limit.services': { type: 'int', default: '100000', min: 1, description: 'Most services in all (beyond Nacos). A write that would create one more answers 429 (v2 code 5031, gRPC errorCode 429); docs/security.md' },
  'nomen.naming.limit.services-per-namespace': { type: 'int', default: '50000', min: 1, description: 'Most services in one namespace (429, v2 code 5033)' },
  'nomen.naming.limit.namespaces': { type: 'int', default: '1000', min: 1, description: 'Most custom namespaces (holding services or in the catalog; public not counted)' },
  'nomen.naming.limit.instances': { type: 'int', default: '200000', min: 1, description: 'Most instances in all' },
  'nomen.naming.limit.instances-per-service': { type: 'int', default: '10000', min: 1, description: 'Most instances in one service (also bounds operator overrides of addresses with no instance)' },
  'nomen.naming.limit.services-per-client': { type: 'int', default: '2000', min: 1, description: 'Most services one client (gRPC connection, ip:port) registers in' },
  'nomen.naming.limit.instances-per-client': { type: 'int', default: '5000', min: 1, description: 'Most instances one client registers (batch registers included)' },
  'nomen.naming.limit.subscriptions': { type: 'int', default: '500000', min: 1, description: 'Most subscriptions in all (gRPC and UDP subscribers)' },
  'nomen.naming.limit.subscriptions-per-client': { type: 'int', default: '2000', min: 1, description: 'Most services one subscriber (gRPC connection, UDP ip:port) subscribes to' },
  'nacos.naming.clean.empty-service.expired-time': { type: 'int', default: '60000', min: 0, description: 'An empty service (no instances, no metadata, no subscribers) is removed after this many ms' },
  'nacos.naming.health.enabled': { type: 'bool', default: 'true', description: 'Start value of the switch healthCheckEnabled (changeable with PUT /v1/ns/operator/switches): server-side checks of persistent instances and heartbeat expiry of HTTP clients' },
  'nacos.naming.health.check-times': { type: 'int', default: '3', min: 1, max: 100, description: 'Switch checkTimes: consecutive failed (or, when unhealthy, successful) checks that flip a persistent instance; a refused connection flips at once' },
  'nomen.naming.health.timeout-ms': { type: 'int', default: '500', min: 50, max: 60000, description: 'Timeout of one TCP connect / HTTP GET health check (Nacos: 500)' },
  'nacos.naming.clean.expired-metadata.interval': { type: 'int', default: '5000', min: 100, description: 'How often instance metadata (operator overrides) of vanished instances is looked for' },
  'nacos.naming.clean.expired-metadata.expired-time': { type: 'int', default: '60000', min: 0, description: 'Instance metadata whose instance has been gone this long is deleted (on the member responsible for its ip:port)' },
  'nacos.naming.push.pushTaskDelay': { type: 'int', default: '100', min: 0, max: 60000, description: 'Push merge window in ms after a change (Nacos: 500; see docs/decisions.md)' },
  'nacos.naming.push.pushTaskTimeout': { type: 'int', default: '5000', min: 100, description: 'ms to wait for a push ack' },
  'nacos.naming.push.pushTaskRetryDelay': { type: 'int', default: '1000', min: 0, description: 'ms before a failed push is retried' },
  'nomen.naming.push.max-retries': { type: 'int', default: '3', min: 0, max: 100, description: 'Retries of a failed push' },
  'nomen.naming.push.udp.target': { type: 'string', default: 'source', choices: ['source', 'client-ip'], description: 'UDP push destination: the address the subscribing request came from, or the advertised clientIP' },
  'nomen.naming.push.udp.ack-timeout-ms': { type: 'int', default: '10000', min: 100, description: 'UDP ack wait before the single resend' },
  'nomen.naming.udp.subscriber.expired-time': { type: 'int', default: '30000', min: 1000, description: 'A UDP subscriber not refreshed by a list call for this long is dropped' },
  'nacos.naming.default.push.cache.millis': { type: 'int', default: '10000', min: 1000, description: 'cacheMillis sent in ServiceInfo (switch defaultPushCacheMillis)' },
  'nacos.naming.client.beat.interval': { type: 'int', default: '5000', min: 1000, description: 'clientBeatInterval answered to beats (switch clientBeatInterval)' },
  'nacos.core.param.check.enabled': { type: 'bool', default: 'true', description: 'Nacos parameter checker on names, ports, metadata' },
  'nacos.core.auth.enabled': { type: 'bool', default: 'false', description: 'Enforce authentication and per-namespace permissions on every HTTP API and the SDK gRPC port (probes, state and login stay open); see docs/auth.md' },
  'nacos.core.auth.plugin.nacos.token.secret.key': { type: 'string', default: '', description: 'Base64 of at least 32 bytes: HMAC key of the access tokens (JWT). Empty: a random key is generated at the first login and kept in the persistent store. Same value on every member; keep it out of logs' },
  'nacos.core.auth.plugin.nacos.token.expire.seconds': { type: 'int', default: '18000', min: 60, max: 31536000, description: 'Lifetime of an access token (s)' },
  'nomen.auth.admin.initial-password': { type: 'string', default: '', description: 'If set and no admin exists yet, user nacos is created with this password and ROLE_ADMIN at start (otherwise: POST /nacos/v3/auth/user/admin). Keep it out of logs' },
  'nacos.remote.server.grpc.sdk.max-inbound-message-size': { type: 'int', default: '10485760', min: 1024, description: 'Max inbound gRPC message (bytes)' },
  'nomen.grpc.client-detection.idle-ms': { type: 'int', default: '20000', min: 100, description: 'Idle gRPC connections are probed (ClientDetectionRequest) after this long and dropped if silent' },
  'nacos.console.ui.enabled': { type: 'bool', default: 'true', description: 'Serve the web console at /nacos/ (built into dist/console by npm run build; docs/console.md)' },
  'nomen.http.body-limit': { type: 'int', default: '1048576', min: 1024, description: 'Max HTTP request body (bytes)' },
  'nomen.cluster.secret': { type: 'string', default: '', description: 'Shared secret of the cluster: every cluster gRPC request is signed with HMAC-SHA256 and must come from a listed member. Empty: the cluster port only checks that the TCP source address is a member IP (a warning is logged). Same value on every member; keep it out of logs' },
  'nomen.cluster.auth.max-skew-ms': { type: 'int', default: '30000', min: 1000, max: 600000, description: 'Replay window of signed cluster requests: a request whose timestamp is further than this from the receiver clock is refused (members need synchronised clocks)' },
  'nomen.cluster.max-inbound-message-size': { type: 'int', default: '67108864', min: 1048576, description: 'Max cluster gRPC message (bytes), inbound on the server and on the per-peer clients' },
  'nomen.cluster.max-in-flight-per-peer': { type: 'int', default: '1024', min: 1, max: 1000000, description: 'Max outstanding cluster requests to one peer; more are rejected at once (queue-full) so a dead peer cannot hold callers or memory' },
  'nomen.cluster.tls.cert': { type: 'string', default: '', description: 'PEM certificate chain of this member for cluster mTLS (with .key and .ca; all three or none). Its subjectAltName must hold the advertised member IP' },
  'nomen.cluster.tls.key': { type: 'string', default: '', description: 'PEM private key for cluster mTLS' },
  'nomen.cluster.tls.ca': { type: 'string', default: '', description: 'PEM CA bundle that signs every member certificate (cluster mTLS: clients and server must present a certificate it signed)' },
  'nacos.core.member.lookup.type': { type: 'string', default: '', choices: ['', 'file', 'address-server', 'dns'], description: 'How the member list is found: file (cluster.conf or nacos.member.list), address-server, or dns (beyond Nacos). Empty: file when a list or cluster.conf is given' },
  'address.server.domain': { type: 'string', default: '', description: 'Address server host (lookup type address-server)' },
  'address.server.port': { type: 'int', default: '8080', min: 1, max: 65535, description: 'Address server port' },
  'address.server.url': { type: 'string', default: '/nacos/serverlist', description: 'Address server path; the body lists members in cluster.conf format' },
  'nomen.cluster.dns.name': { type: 'string', default: '', description: 'DNS name whose A/AAAA records are the members (lookup type dns, e.g. a Kubernetes headless service); members use this member\'s port' },
  'nomen.cluster.lookup.interval-ms': { type: 'int', default: '5000', min: 100, description: 'How often cluster.conf, the address server or DNS is re-read' },
  'nomen.cluster.member.report-interval-ms': { type: 'int', default: '2000', min: 100, description: 'Member report/probe to one peer, round-robin (Nacos: 2000)' },
  'nomen.cluster.member.unhealthy-probe-interval-ms': { type: 'int', default: '5000', min: 100, description: 'Probe of every non-UP peer (Nacos: 5000)' },
  'nacos.core.member.fail-access-cnt': { type: 'int', default: '3', min: 0, max: 100, description: 'Failed probes tolerated before a member is DOWN (refused connections: DOWN at once)' },
  'nacos.core.protocol.distro.data.sync.delayMs': { type: 'int', default: '20', min: 0, max: 60000, description: 'Distro change → sync delay; bursts for one client merge (Nacos: 1000; see docs/distro.md)' },
  'nacos.core.protocol.distro.data.sync.timeoutMs': { type: 'int', default: '3000', min: 1, description: 'Distro sync message timeout' },
  'nacos.core.protocol.distro.data.sync.retryDelayMs': { type: 'int', default: '1000', min: 0, description: 'Delay before a failed Distro sync is re-sent (Nacos: 3000)' },
  'nomen.distro.sync.batch-max-entries': { type: 'int', default: '256', min: 1, description: 'Max client states in one sync message to a peer' },
  'nomen.distro.sync.batch-max-bytes': { type: 'int', default: '1048576', min: 1024, description: 'Approximate max bytes of one sync message' },
  'nomen.distro.sync.max-in-flight': { type: 'int', default: '2', min: 1, description: 'Max sync messages in flight to one peer' },
  'nacos.core.protocol.distro.data.verify.intervalMs': { type: 'int', default: '5000', min: 100, description: 'Distro verify period' },
  'nacos.core.protocol.distro.data.verify.timeoutMs': { type: 'int', default: '3000', min: 1, description: 'Distro verify request timeout' },
  'nomen.distro.verify.mode': { type: 'string', default: 'digest', choices: ['digest', 'per-client'], description: 'Verify by per-bucket digests (O(buckets) when in sync) or per client (Nacos)' },
  'nomen.distro.verify.buckets': { type: 'int', default: '256', min: 1, max: 65536, description: 'Buckets of the digest verify' },
  'nacos.core.protocol.distro.data.load.timeoutMs': { type: 'int', default: '30000', min: 1, description: 'Timeout of one snapshot chunk request at start-up' },
  'nacos.core.protocol.distro.data.load.retryDelayMs': { type: 'int', default: '1000', min: 0, description: 'Delay between snapshot load rounds (Nacos: 30000)' },
  'nomen.distro.load.give-up-ms': { type: 'int', default: '30000', min: 0, description: 'A member that could not load a snapshot within this long reports ready anyway (verify repairs); see docs/distro.md' },
  'nomen.distro.load.chunk-max-bytes': { type: 'int', default: '1048576', min: 1024, description: 'Approximate max bytes of one snapshot chunk' },
  'nomen.distro.expiry.check-interval-ms': { type: 'int', default: '5000', min: 100, description: 'How often replica leases and tombstones are swept' },
  'nomen.drain.enabled': { type: 'bool', default: 'true', description: 'Cluster mode: on SIGTERM, drain before stopping (refuse new SDK connections, move the connected SDKs to other members with no instance disappearing, hand Raft leadership over); see docs/operations.md' },
  'nomen.drain.timeout-ms': { type: 'int', default: '30000', min: 0, max: 600000, description: 'Longest wait of a drain for the moved SDKs to register again on other members; what is left is then removed' },
  'nomen.drain.endpoint.enabled': { type: 'bool', default: 'false', description: 'Serve POST /nacos/v1/core/ops/drain (drain, then exit). Unauthenticated: enable only where the main port is not reachable by untrusted callers' },
  'nomen.handover.timeout-ms': { type: 'int', default: '30000', min: 100, max: 600000, description: 'An SDK connection closed by this member on purpose (drain, rebalance) keeps its instances until the SDK registers them again elsewhere, at most this long' },
  'nomen.rebalance.enabled': { type: 'bool', default: 'false', description: 'Cluster mode: periodically move SDK connections from this member when it holds more than the cluster average (beyond Nacos; see docs/operations.md)' },
  'nomen.rebalance.interval-ms': { type: 'int', default: '30000', min: 100, description: 'Period of the rebalance check' },
  'nomen.rebalance.margin': { type: 'float', default: '0.2', min: 0, max: 10, description: 'Rebalance only when this member holds more than average × (1 + margin) connections' },
  'nomen.rebalance.max-per-round': { type: 'int', default: '2', min: 1, max: 1000, description: 'Most connections asked to move in one rebalance round' },
  'nomen.cluster.forward.timeout-ms': { type: 'int', default: '2000', min: 100, description: 'Timeout of an HTTP write forwarded to the responsible member' },
  'nacos.core.protocol.raft.data.election_timeout_ms': { type: 'int', default: '1000', min: 100, max: 60000, description: 'Raft election timeout in ms; the actual timeout is random in [t, 2t). Nacos: 5000 (and raises lower values); ours is lower for faster failover, see docs/raft.md' },
  'nacos.core.protocol.raft.data.election_heartbeat_factor': { type: 'int', default: '10', min: 2, max: 100, description: 'Leader heartbeat interval = election timeout / this factor (Nacos: 10)' },
  'nacos.core.protocol.raft.data.snapshot_interval_secs': { type: 'int', default: '1800', min: 1, description: 'Raft snapshot (log compaction) interval when anything was applied since the last one (Nacos: 1800)' },
  'nomen.raft.snapshot.entries': { type: 'int', default: '10000', min: 10, description: 'Also compact the Raft log after this many applied entries since the last snapshot' },
  'nacos.core.protocol.raft.data.rpc_request_timeout_ms': { type: 'int', default: '5000', min: 100, description: 'Timeout of a write forwarded to the Raft leader (Nacos: 5000)' },
  'nomen.raft.write.timeout-ms': { type: 'int', default: '10000', min: 100, description: 'Overall wait of one persistent write (commit + local apply) before it fails with 500 (Nacos: 10000)' },
  'nomen.raft.no-leader.wait-ms': { type: 'int', default: '3000', min: 0, description: 'How long a persistent write waits for a Raft leader to be known before it fails with 500 "did not find the Leader node"' },
  'nomen.raft.fsync': { type: 'bool', default: 'true', description: 'fsync the Raft log before acknowledging (turn off only for throw-away test clusters)' },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

export function envNameOf(key: string): string {
  return key.toUpperCase().replace(/[.-]/g, '_');
}

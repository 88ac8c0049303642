/** The auth service and the SDK gRPC port of one member, built from the config. */
import type { MemberIdentity } from '../app-context.js';
import { AuthService } from '../auth/auth-service.js';
import { passwordCheckLimits } from '../auth/password-limits.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import type { PersistentStore } from '../persistence/persistent-store.js';
import { grpcAuthorizer } from '../transport/grpc/authorizer.js';
import { sdkResponseType } from '../transport/grpc/config-binding.js';
import { SdkGrpcServer } from '../transport/grpc/sdk-server.js';

/** Users, roles, permissions and tokens, kept in the persistent store (docs/auth.md). */
export function authService(config: Config, store: PersistentStore, clock: Clock, log: Logger): AuthService {
  return new AuthService({
    store,
    clock,
    log: log.child({ component: 'auth' }),
    enabled: config.bool('nacos.core.auth.enabled'),
    tokenTtlSeconds: config.int('nacos.core.auth.plugin.nacos.token.expire.seconds'),
    secretKey: config.str('nacos.core.auth.plugin.nacos.token.secret.key'),
    initialAdminPassword: config.str('nomen.auth.admin.initial-password'),
    passwordChecks: passwordCheckLimits((k) => config.int(k)),
  });
}

/** The SDK gRPC port (main port + 1000), checking credentials when auth is on. */
export function sdkGrpcServer(config: Config, member: MemberIdentity, auth: AuthService, isReady: () => boolean, clock: Clock, log: Logger): SdkGrpcServer {
  return new SdkGrpcServer({
    host: config.str('nomen.server.host'),
    port: member.port + 1000,
    logger: log.child({ component: 'grpc' }),
    clock,
    maxInboundBytes: config.int('nacos.remote.server.grpc.sdk.max-inbound-message-size'),
    idleEjectMs: config.int('nomen.grpc.client-detection.idle-ms'),
    transport: config.str('nomen.sdk.transport') === 'http2' ? 'http2' : 'grpc-js',
    keepaliveTimeMs: config.int('nacos.remote.server.grpc.sdk.keep-alive-time'),
    keepaliveTimeoutMs: config.int('nacos.remote.server.grpc.sdk.keep-alive-timeout'),
    isReady,
    ...(auth.enabled ? { authorize: grpcAuthorizer(auth, sdkResponseType) } : {}),
  });
}

/**
 * Config listening of one member (docs/config-center.md "Listening and pushes"), built from the
 * config: pushes go out on the SDK gRPC port, a connection's listens end with it.
 */
import type { Config } from '../config/config.js';
import { CONFIG_CHANGE_NOTIFY } from '../config-center/change-notifier.js';
import { ConfigFuzzyWatch } from '../config-center/fuzzy-watch.js';
import { ConfigListening } from '../config-center/listening.js';
import type { ConfigCenter } from '../config-center/types.js';
import type { ConfigCenterParts } from './config-center.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import type { SdkGrpcServer } from '../transport/grpc/sdk-server.js';

/** A failed push try n is retried after n × 2 s (Nacos). */
const RETRY_STEP_MS = 2000;

/** The config fuzzy watch (docs/fuzzy-watch.md): pushes on the SDK port, Nacos' config limits. */
function configFuzzyWatch(config: Config, center: ConfigCenter, grpc: SdkGrpcServer, clock: Clock): ConfigFuzzyWatch {
  const settings = () => ({
    maxPatterns: config.int('nacos.config.fuzzy.watch.max.pattern.count'),
    maxMatched: config.int('nacos.config.fuzzy.watch.max.pattern.match.config.count'),
    batchSize: config.int('nacos.config.push.batchSize'),
    delayMs: config.int('nomen.config.fuzzy.watch.push-delay-ms'),
    retryDelayMs: RETRY_STEP_MS,
    maxRetries: config.int('nacos.config.push.maxRetryTime'),
  });
  const push = (id: string, type: string, body: Record<string, unknown>) => grpc.push(id, type, body, config.int('nomen.config.push.ack-timeout-ms'));
  return new ConfigFuzzyWatch(settings, center, push, clock);
}

export function configListening(config: Config, center: ConfigCenter, grpc: SdkGrpcServer, clock: Clock, log: Logger): ConfigListening {
  const listening = new ConfigListening({
    fuzzy: configFuzzyWatch(config, center, grpc, clock),
    center,
    clock,
    log: log.child({ component: 'config-listen' }),
    transport: {
      push: (id, body, timeoutMs) => grpc.push(id, CONFIG_CHANGE_NOTIFY, body, timeoutMs),
      isConnected: (id) => grpc.getConnection(id)?.registered === true,
      disconnect: (id, reason) => void grpc.disconnect(id, reason),
    },
    connectionIp: (id) => grpc.getConnection(id)?.clientIp,
    connections: () => grpc.listConnections(),
    cfg: {
      ackTimeoutMs: config.int('nomen.config.push.ack-timeout-ms'),
      maxTries: config.int('nacos.config.push.maxRetryTime'),
      retryStepMs: RETRY_STEP_MS,
      maxLongPolls: config.int('nomen.config.long-poll.max-holders'),
    },
  });
  grpc.onDisconnected((conn) => listening.connectionClosed(conn.id));
  return listening;
}

/**
 * What the edges get of the configuration center: its use cases and this member's listening
 * (the ConfigBatchListenRequest handler is bound with the other config handlers, config-binding.ts;
 * the HTTP server stops the listening when it closes, routes/config-listener.ts).
 */
export function configEdges(parts: ConfigCenterParts, config: Config, grpc: SdkGrpcServer, clock: Clock, log: Logger): { configCenter: ConfigCenter; configListening: ConfigListening } {
  return { configCenter: parts.service, configListening: configListening(config, parts.service, grpc, clock, log) };
}

/**
 * The configuration center of one member (docs/config-center.md): its in-memory index following
 * the persistent store, the use cases, and the history cleaner, built from the config.
 */
import { ConfigError, type Config } from '../config/config.js';
import type { Clock } from '../core/clock.js';
// The use cases with their metrics counters (docs/config-center.md "Metrics").
import { CountedConfigService as ConfigService } from '../config-center/counted-config-service.js';
import { ConfigState } from '../config-center/config-state.js';
import { buildEncryption } from '../config-center/encryption.js';
import { HistoryCleaner } from '../config-center/history-cleaner.js';
import type { Logger } from '../observability/logger.js';
import type { PersistentStore } from '../persistence/persistent-store.js';

export interface ConfigCenterParts {
  readonly state: ConfigState;
  readonly service: ConfigService;
  readonly cleaner: HistoryCleaner;
}

export function configCenterParts(config: Config, store: PersistentStore, clock: Clock, log: Logger, isLeader: () => boolean): ConfigCenterParts {
  const clog = log.child({ component: 'config' });
  const state = new ConfigState(clog);
  // Checked at start: an unknown plugin or a bad secret key stops the member (docs/config-center.md "Encryption").
  const encryption = buildEncryption(config.str('nomen.config.encryption.plugins'), config.str('nomen.config.encryption.aes.secret-key'));
  if (typeof encryption === 'string') throw new ConfigError(encryption);
  const service = new ConfigService({
    store,
    state,
    clock,
    maxContent: config.int('maxContent'),
    maxGrayVersions: config.int('nacos.config.gray.version.max.count'),
    maxConfigs: config.int('nomen.config.limit.configs'),
    encryption,
  });
  const cleaner = new HistoryCleaner({
    state,
    store,
    clock,
    isLeader,
    retentionDays: config.int('nacos.config.retention.days'),
    intervalMs: config.int('nomen.config.history.clean-interval-ms'),
    log: clog,
  });
  return { state, service, cleaner };
}

/** Loads the stored configs into the index, then keeps it following every applied write (on every member). */
export function followConfigStore(store: PersistentStore, state: ConfigState): void {
  state.load(store.entries());
  store.onApply((batch) => state.apply(batch));
}

export { configEdges } from './config-listening.js';

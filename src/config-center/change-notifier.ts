/**
 * Pushes `ConfigChangeNotifyRequest` to every connection of this member that listens to a changed
 * key (formal or gray change), with Nacos' ack and retry policy (docs/protocol/config.md §2.6,
 * docs/config-center.md "Listening and pushes"):
 *
 *  - the push carries no content, only the key: `{module, dataId, group[, tenant]}`, with the
 *    tenant as the client sent it, omitted when it listened with a blank tenant;
 *  - the ack must arrive within `ackTimeoutMs` (3 s); a failed try is retried after
 *    `tries × retryStepMs` (2 s, 4 s, …); after `maxTries` failed tries (50) the connection is
 *    disconnected, which is what Nacos does with a client that no longer answers;
 *  - at most one push per (connection, key) is outstanding: a change while one is in flight or
 *    waiting to be retried adds nothing, because the client re-reads the key after the ack, and
 *    the ack comes after the change was applied here.
 *
 * Deterministic: time and timers come from the injected clock, the wire from `NotifyTransport`.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import { keyId, type ConfigListenRegistry, type ListenEntry } from './listeners.js';
import type { ConfigKey } from './types.js';

export const CONFIG_CHANGE_NOTIFY = 'ConfigChangeNotifyRequest';

export interface NotifyTransport {
  /** Sends the push on the connection's stream; resolves on the client's ack (rejects on failure, timeout, nack). */
  push(connectionId: string, body: ConfigChangeNotifyBody, timeoutMs: number): Promise<void>;
  /** Whether the connection is still registered (a retry to a gone connection is dropped). */
  isConnected(connectionId: string): boolean;
  /** Ends a connection that failed `maxTries` pushes in a row. */
  disconnect(connectionId: string, reason: string): void;
}

export interface ConfigChangeNotifyBody {
  readonly module: 'config';
  readonly dataId: string;
  readonly group: string;
  readonly tenant?: string;
}

export interface NotifierConfig {
  /** Ack wait per try (Nacos: 3000 ms). */
  readonly ackTimeoutMs: number;
  /** Tries before the connection is dropped (`nacos.config.push.maxRetryTime`, Nacos: 50). */
  readonly maxTries: number;
  /** A failed try n is retried after n × this (Nacos: 2000 ms). */
  readonly retryStepMs: number;
}

export interface NotifierStats {
  /** Pushes acked by the client. */
  sent: number;
  /** Tries that failed (timeout, nack, closed, write failure). */
  failed: number;
  /** Connections dropped after `maxTries` failures. */
  dropped: number;
}

/** The push body for one listener: the tenant is echoed as sent, omitted when it was blank. */
export function notifyBody(entry: ListenEntry): ConfigChangeNotifyBody {
  const { dataId, group } = entry.key;
  return entry.sentTenant === null ? { module: 'config', dataId, group } : { module: 'config', dataId, group, tenant: entry.sentTenant };
}

export class ConfigChangeNotifier {
  /** `${connectionId}\u0000${keyId}` of every outstanding push (in flight or waiting to retry). */
  private readonly outstanding = new Map<string, TimerHandle | null>();
  readonly stats: NotifierStats = { sent: 0, failed: 0, dropped: 0 };
  private stopped = false;

  constructor(
    private readonly listeners: ConfigListenRegistry,
    private readonly transport: NotifyTransport,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly cfg: NotifierConfig,
  ) {}

  /** A key changed on this member: push to every connection listening to it. */
  configChanged(key: ConfigKey): void {
    for (const connectionId of this.listeners.listenersOf(key).keys()) this.notify(connectionId, key);
  }

  /**
   * Pushes one key to one listening connection (e.g. it just listened with a stale md5: the Rust
   * SDK ignores the batch listen's answer, so a change made just before its listen arrived would
   * otherwise wait for its 60 s sweep).
   */
  notify(connectionId: string, key: ConfigKey): void {
    if (this.stopped) return;
    const task = `${connectionId}\u0000${keyId(key)}`;
    if (this.outstanding.has(task)) return;
    this.outstanding.set(task, null);
    this.attempt(task, connectionId, key, 1);
  }

  /** Number of pushes in flight or waiting for a retry. */
  pendingCount(): number {
    return this.outstanding.size;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.outstanding.values()) t?.cancel();
    this.outstanding.clear();
  }

  private attempt(task: string, connectionId: string, key: ConfigKey, tries: number): void {
    // The listen may be gone (listen:false, connection closed): then nothing is owed.
    const entry = this.listeners.listenersOf(key).get(connectionId);
    if (this.stopped || !entry || !this.transport.isConnected(connectionId)) {
      this.outstanding.delete(task);
      return;
    }
    this.outstanding.set(task, null);
    this.transport.push(connectionId, notifyBody(entry), this.cfg.ackTimeoutMs).then(
      () => {
        this.stats.sent++;
        this.outstanding.delete(task);
      },
      (err: unknown) => {
        this.stats.failed++;
        if (this.stopped || !this.outstanding.has(task)) return;
        if (tries >= this.cfg.maxTries) {
          this.outstanding.delete(task);
          this.stats.dropped++;
          this.log.warn({ connectionId, dataId: key.dataId, group: key.group, tenant: key.tenant, tries }, 'config push failed too often, dropping the connection');
          this.transport.disconnect(connectionId, `config push failed ${tries} times`);
          return;
        }
        this.log.debug({ err, connectionId, dataId: key.dataId, tries }, 'config push failed, will retry');
        this.outstanding.set(
          task,
          this.clock.setTimeout(() => this.attempt(task, connectionId, key, tries + 1), tries * this.cfg.retryStepMs),
        );
      },
    );
  }
}

/**
 * Config listening of one member, assembled (docs/config-center.md "Listening and pushes"): the
 * gRPC listen state and its change pushes, the held HTTP long polls, and the listener status the
 * query endpoints show. Every applied change (`ConfigCenter.onChange`, which fires on every member)
 * releases this member's long polls on the key and pushes to this member's gRPC listeners, so a
 * listener on any member hears a change made on any member.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import { ConfigChangeNotifier, type NotifierConfig, type NotifyTransport } from './change-notifier.js';
import { groupKey } from './config-keys.js';
import { ConfigListenRegistry, keyId } from './listeners.js';
import { LongPollHub } from './long-polling.js';
import type { ConfigCenter, ConfigKey } from './types.js';

export interface ListeningConfig extends NotifierConfig {
  /** Most held long polls on this member. */
  readonly maxLongPolls: number;
}

export interface ListeningDeps {
  readonly center: ConfigCenter;
  readonly clock: Clock;
  readonly log: Logger;
  readonly transport: NotifyTransport;
  /** The self-reported client IP of a registered SDK connection. */
  readonly connectionIp: (connectionId: string) => string | undefined;
  /** The registered SDK connections of this member. */
  readonly connections: () => Iterable<{ readonly id: string; readonly clientIp: string }>;
  readonly cfg: ListeningConfig;
}

/** One listened key as the status queries show it. */
export interface ListenedKey {
  readonly key: ConfigKey;
  readonly md5: string;
}

export interface ListeningStats {
  longPolls: number;
  grpcListeners: number;
  grpcListenedKeys: number;
  notifySent: number;
  notifyFailed: number;
  notifyDropped: number;
  longPollsReleased: number;
  /** gRPC pushes in flight or waiting for a retry. */
  notifyPending: number;
}

export class ConfigListening {
  readonly listeners = new ConfigListenRegistry();
  readonly polls: LongPollHub;
  readonly notifier: ConfigChangeNotifier;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: ListeningDeps) {
    this.polls = new LongPollHub(deps.center, deps.clock, deps.cfg.maxLongPolls);
    this.notifier = new ConfigChangeNotifier(this.listeners, deps.transport, deps.clock, deps.log, deps.cfg);
    this.unsubscribe = deps.center.onChange((change) => {
      this.polls.configChanged(change);
      this.notifier.configChanged(change);
    });
  }

  /** An SDK connection unregistered: its listens are forgotten. */
  connectionClosed(connectionId: string): void {
    this.listeners.clear(connectionId);
  }

  /**
   * Who listens to a key on this member: client IP → the md5 it reported, long polls and gRPC
   * listeners alike (one entry per IP, as Nacos keys it).
   */
  listenersOf(key: ConfigKey): Record<string, string> {
    const out: Record<string, string> = {};
    const id = keyId(key);
    for (const poll of this.polls.held()) {
      for (const e of poll.entries) if (keyId(e.key) === id) out[poll.labels.clientIp] = e.md5;
    }
    for (const [connectionId, e] of this.listeners.listenersOf(key)) {
      const ip = this.deps.connectionIp(connectionId);
      if (ip !== undefined) out[ip] = e.md5;
    }
    return out;
  }

  /** What the clients at one IP listen to on this member: Nacos groupKey → md5. */
  listenedBy(ip: string): Map<string, ListenedKey> {
    const out = new Map<string, ListenedKey>();
    const add = (key: ConfigKey, md5: string) => out.set(groupKey(key.dataId, key.group, key.tenant), { key, md5 });
    for (const poll of this.polls.held()) {
      if (poll.labels.clientIp !== ip) continue;
      for (const e of poll.entries) add(e.key, e.md5);
    }
    for (const c of this.deps.connections()) {
      if (c.clientIp !== ip) continue;
      for (const e of this.listeners.entriesOf(c.id)) add(e.key, e.md5);
    }
    return out;
  }

  stats(): ListeningStats {
    const n = this.notifier.stats;
    return {
      longPolls: this.polls.size(),
      grpcListeners: this.listeners.connectionCount(),
      grpcListenedKeys: this.listeners.size(),
      notifySent: n.sent,
      notifyFailed: n.failed,
      notifyDropped: n.dropped,
      longPollsReleased: this.polls.releasedByChange,
      notifyPending: this.notifier.pendingCount(),
    };
  }

  /** Stops pushing and answers every held poll (the HTTP server can then close at once). */
  stop(): void {
    this.unsubscribe();
    this.notifier.stop();
    this.polls.releaseAll();
  }
}

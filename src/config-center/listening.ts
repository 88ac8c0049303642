/**
 * Config listening of one member, assembled (docs/config-center.md "Listening and pushes"): the
 * gRPC listen state and its change pushes, the held HTTP long polls, and the listener status the
 * query endpoints show. Every applied change (`ConfigCenter.onChange`, which fires on every member)
 * releases this member's long polls on the key and pushes to this member's gRPC listeners, so a
 * listener on any member hears a change made on any member. The Nacos 3 fuzzy watch
 * (`fuzzy-watch.ts`) hears the same changes.
 *
 * The fan-out does not run inside the apply: a change is queued and the queue is drained on the
 * next turn of the event loop (`defer`, default `setImmediate`), so the publish that caused it is
 * answered without waiting for a thousand pushes and poll answers (docs/config-center.md
 * "Listening and pushes"). The queue is drained in apply order, so pushes of one key keep the
 * order of its changes, and every change is applied before anything is pushed for it.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import { ConfigChangeNotifier, type NotifierConfig, type NotifyTransport } from './change-notifier.js';
import { groupKey } from './config-keys.js';
import type { ConfigFuzzyWatch } from './fuzzy-watch.js';
import { ConfigListenRegistry, keyId } from './listeners.js';
import { LongPollHub } from './long-polling.js';
import type { ConfigCenter, ConfigChange, ConfigKey } from './types.js';

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
  /** The config fuzzy watch of this member (absent: ConfigFuzzyWatchRequest is not served). */
  readonly fuzzy?: ConfigFuzzyWatch;
  /** Runs the queued fan-out later (default: `setImmediate`, after the current I/O callbacks). */
  readonly defer?: (run: () => void) => void;
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
}

export class ConfigListening {
  readonly listeners = new ConfigListenRegistry();
  readonly polls: LongPollHub;
  readonly notifier: ConfigChangeNotifier;
  readonly fuzzy: ConfigFuzzyWatch | null;
  private readonly unsubscribe: () => void;
  /** Applied changes whose fan-out has not run yet, in apply order. */
  private queue: ConfigChange[] = [];
  private stopped = false;

  constructor(private readonly deps: ListeningDeps) {
    this.polls = new LongPollHub(deps.center, deps.clock, deps.cfg.maxLongPolls);
    this.notifier = new ConfigChangeNotifier(this.listeners, deps.transport, deps.clock, deps.log, deps.cfg);
    this.fuzzy = deps.fuzzy ?? null;
    const defer = deps.defer ?? ((run: () => void) => void setImmediate(run));
    this.unsubscribe = deps.center.onChange((change) => {
      this.queue.push(change);
      if (this.queue.length === 1) defer(() => this.drain());
    });
  }

  /** Runs the fan-out of every queued change, oldest first. */
  private drain(): void {
    const batch = this.queue;
    this.queue = [];
    if (this.stopped) return;
    for (const change of batch) {
      try {
        this.polls.configChanged(change);
        this.notifier.configChanged(change);
        this.fuzzy?.configChanged(change);
      } catch (e) {
        this.deps.log.error({ err: e, dataId: change.dataId, group: change.group }, 'config change fan-out failed');
      }
    }
  }

  /** An SDK connection unregistered: its listens and fuzzy watches are forgotten. */
  connectionClosed(connectionId: string): void {
    this.listeners.clear(connectionId);
    this.fuzzy?.connectionClosed(connectionId);
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
    };
  }

  /** Stops pushing and answers every held poll (the HTTP server can then close at once). */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.unsubscribe();
    this.notifier.stop();
    this.fuzzy?.stop();
    this.polls.releaseAll();
  }
}

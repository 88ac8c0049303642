/**
 * Naming fuzzy watch (Nacos 3, docs/fuzzy-watch.md): SDK connections watch `namespace>>group>>service`
 * patterns and hear which services exist and when one appears or goes away. Deterministic: time
 * through the injected Clock, pushes through the injected sink, services through the injected
 * scan; the registry's service-change events drive it (`serviceChanged`).
 *
 * State, all local to this member (nothing is replicated; a member hears of services registered
 * elsewhere because Distro and Raft make them appear in its own registry):
 * - per pattern: its watching connections and its match set (≤ `maxMatchedServices` service keys);
 * - per connection: its patterns, its pending sync sessions and change notifications.
 *
 * A WATCH answers at once and then syncs: the diff between the match set and the keys the client
 * says it holds, in batches of `batchSize`, as `FUZZY_WATCH_INIT_NOTIFY` (client still
 * initialising) or `FUZZY_WATCH_DIFF_SYNC_NOTIFY`; after an INIT sync whose batches were all acked,
 * a `FINISH_FUZZY_WATCH_INIT_NOTIFY` (also when the diff is empty). A service key is added when the
 * service gets its first publisher and removed when it loses its last; every connection watching a
 * pattern whose match set changed gets one `NamingFuzzyWatchChangeNotifyRequest` per key after the
 * merge window.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { parseServiceKeyId, serviceKeyId, type ServiceKey } from '../core/names.js';
import { parsePattern, patternMatches, type FuzzyPattern } from './fuzzy-pattern.js';

export const SYNC_REQUEST = 'NamingFuzzyWatchSyncRequest';
export const CHANGE_REQUEST = 'NamingFuzzyWatchChangeNotifyRequest';

export type SyncType = 'FUZZY_WATCH_INIT_NOTIFY' | 'FUZZY_WATCH_DIFF_SYNC_NOTIFY' | 'FINISH_FUZZY_WATCH_INIT_NOTIFY';
export type ChangedType = 'ADD_SERVICE' | 'DELETE_SERVICE';

/** Nacos' error codes of a WATCH over a limit (docs/fuzzy-watch.md "Limits"). */
export const PATTERN_OVER_LIMIT = { code: 50310, message: 'fuzzy watch pattern over limit' } as const;
export const MATCH_OVER_LIMIT = { code: 50311, message: 'fuzzy watch pattern matched count over limit' } as const;

export interface FuzzyWatchSettings {
  /** Distinct patterns watched on this member, all connections together (Nacos: 20). */
  maxPatterns: number;
  /** Service keys tracked per pattern (Nacos: 500). */
  maxMatchedServices: number;
  /** Contexts per sync push (Nacos: 10). */
  batchSize: number;
  /** Delay of sync batches, of FINISH and of change notifications (the push merge window). */
  delayMs: number;
  /** Delay before a failed push is retried. */
  retryDelayMs: number;
  /** Retries of a failed push (a WATCH re-sent by the client syncs again anyway). */
  maxRetries: number;
}

/** Delivers one server request to one connection; resolves on the client's ack. */
export type FuzzyPushSink = (connectionId: string, type: string, body: Record<string, unknown>) => Promise<void>;

/** Service keys (`ns@@group@@name`) of one namespace's services, empty ones included. */
export type ServiceScan = (namespace: string) => Iterable<ServiceKey>;

export type WatchOutcome = { ok: true } | { ok: false; errorCode: number; message: string };

interface PatternState {
  readonly pattern: FuzzyPattern;
  readonly watchers: Set<string>;
  readonly matched: Set<string>;
}

interface ConnectionState {
  readonly patterns: Set<string>;
  /** Running sync session per pattern (a new WATCH of the same pattern replaces it). */
  readonly syncs: Map<string, { cancelled: boolean; timers: TimerHandle[] }>;
  /** Pending change notification per service key (the latest change type wins). */
  readonly changes: Map<string, { type: ChangedType; timer: TimerHandle | null }>;
}

export interface FuzzyWatchStats {
  patterns: number;
  watchers: number;
  pushesOk: number;
  pushesFailed: number;
}

export class FuzzyWatchEngine {
  private readonly patterns = new Map<string, PatternState>();
  private readonly connections = new Map<string, ConnectionState>();
  /** Services with at least one publisher: their transitions are the ADD/DELETE events. */
  private readonly published = new Set<string>();
  private pushesOk = 0;
  private pushesFailed = 0;
  private stopped = false;

  constructor(
    private readonly settings: () => FuzzyWatchSettings,
    private readonly scan: ServiceScan,
    private readonly sink: FuzzyPushSink,
    private readonly clock: Clock,
  ) {}

  /** WATCH: registers the connection on the pattern and schedules its sync. Throws 400 on a malformed pattern. */
  watch(connectionId: string, patternText: string, received: readonly string[], initializing: boolean): WatchOutcome {
    const pattern = parsePattern(patternText);
    const s = this.settings();
    let state = this.patterns.get(patternText);
    if (!state) {
      if (this.patterns.size >= s.maxPatterns) return { ok: false, errorCode: PATTERN_OVER_LIMIT.code, message: PATTERN_OVER_LIMIT.message };
      state = { pattern, watchers: new Set(), matched: new Set() };
      this.fill(state, s.maxMatchedServices);
      this.patterns.set(patternText, state);
    }
    state.watchers.add(connectionId);
    this.connection(connectionId).patterns.add(patternText);
    this.startSync(connectionId, state, received, initializing, s);
    if (state.matched.size >= s.maxMatchedServices) return { ok: false, errorCode: MATCH_OVER_LIMIT.code, message: MATCH_OVER_LIMIT.message };
    return { ok: true };
  }

  /** CANCEL_WATCH: the connection stops watching the pattern; a pattern nobody watches is dropped. */
  cancel(connectionId: string, patternText: string): void {
    parsePattern(patternText);
    const c = this.connections.get(connectionId);
    if (c) {
      c.patterns.delete(patternText);
      this.stopSync(c, patternText);
      if (c.patterns.size === 0) this.dropConnection(connectionId, c);
    }
    this.unwatch(connectionId, patternText);
  }

  /** The connection closed: every watch of it ends, pending pushes to it are dropped. */
  connectionClosed(connectionId: string): void {
    const c = this.connections.get(connectionId);
    if (!c) return;
    for (const p of c.patterns) this.unwatch(connectionId, p);
    this.dropConnection(connectionId, c);
  }

  /** A service changed in the registry; `publishers` is its publisher count now. */
  serviceChanged(serviceId: string, publishers: number): void {
    const had = this.published.has(serviceId);
    if (publishers > 0 && !had) {
      this.published.add(serviceId);
      this.onServiceEvent(serviceId, 'ADD_SERVICE');
    } else if (publishers === 0 && had) {
      this.published.delete(serviceId);
      this.onServiceEvent(serviceId, 'DELETE_SERVICE');
    }
  }

  /** The patterns a connection watches (tests, operators). */
  patternsOf(connectionId: string): string[] {
    return [...(this.connections.get(connectionId)?.patterns ?? [])].sort();
  }

  /** The match set of a pattern, sorted (tests, operators). */
  matchedOf(patternText: string): string[] {
    return [...(this.patterns.get(patternText)?.matched ?? [])].sort();
  }

  stats(): FuzzyWatchStats {
    return { patterns: this.patterns.size, watchers: this.connections.size, pushesOk: this.pushesOk, pushesFailed: this.pushesFailed };
  }

  stop(): void {
    this.stopped = true;
    for (const [id, c] of this.connections) this.dropConnection(id, c);
  }

  // ---------------------------------------------------------------- internals

  private connection(id: string): ConnectionState {
    let c = this.connections.get(id);
    if (!c) {
      c = { patterns: new Set(), syncs: new Map(), changes: new Map() };
      this.connections.set(id, c);
    }
    return c;
  }

  private dropConnection(id: string, c: ConnectionState): void {
    for (const p of [...c.syncs.keys()]) this.stopSync(c, p);
    for (const ch of c.changes.values()) ch.timer?.cancel();
    c.changes.clear();
    this.connections.delete(id);
  }

  private unwatch(connectionId: string, patternText: string): void {
    const state = this.patterns.get(patternText);
    if (!state) return;
    state.watchers.delete(connectionId);
    if (state.watchers.size === 0) this.patterns.delete(patternText);
  }

  /** Adds matching services of the pattern's namespace until the set holds `max` keys. */
  private fill(state: PatternState, max: number, except?: string): void {
    const p = state.pattern;
    for (const k of this.scan(p.namespace)) {
      if (state.matched.size >= max) return;
      if (!patternMatches(p, k.namespace, k.group, k.name)) continue;
      const id = serviceKeyId(k);
      if (id !== except) state.matched.add(id);
    }
  }

  private onServiceEvent(serviceId: string, type: ChangedType): void {
    const k = parseServiceKeyId(serviceId);
    const max = this.settings().maxMatchedServices;
    const notify = new Set<string>();
    for (const state of this.patterns.values()) {
      if (!patternMatches(state.pattern, k.namespace, k.group, k.name)) continue;
      let changed = false;
      if (type === 'ADD_SERVICE') {
        if (!state.matched.has(serviceId) && state.matched.size < max) {
          state.matched.add(serviceId);
          changed = true;
        }
      } else if (state.matched.delete(serviceId)) {
        changed = true;
        // A set that was full may hold more now: refill it from the registry (no notification for the refill).
        if (state.matched.size === max - 1) this.fill(state, max, serviceId);
      }
      if (changed) for (const w of state.watchers) notify.add(w);
    }
    for (const conn of notify) this.scheduleChange(conn, serviceId, type);
  }

  // ---------------------------------------------------------------- change notifications

  private scheduleChange(connectionId: string, serviceKey: string, type: ChangedType): void {
    const c = this.connections.get(connectionId);
    if (!c || this.stopped) return;
    const pending = c.changes.get(serviceKey);
    // Inside the merge window the latest change of the key wins (an ADD then a DELETE sends DELETE).
    if (pending) pending.type = type;
    else this.queueChange(c, connectionId, serviceKey, type, this.settings().delayMs, 0);
  }

  private queueChange(c: ConnectionState, connectionId: string, serviceKey: string, type: ChangedType, delayMs: number, attempt: number): void {
    const entry: { type: ChangedType; timer: TimerHandle | null } = { type, timer: null };
    c.changes.set(serviceKey, entry);
    entry.timer = this.clock.setTimeout(() => {
      if (c.changes.get(serviceKey) === entry) c.changes.delete(serviceKey);
      this.sendChange(c, connectionId, serviceKey, entry.type, attempt);
    }, delayMs);
  }

  private sendChange(c: ConnectionState, connectionId: string, serviceKey: string, type: ChangedType, attempt: number): void {
    const body = { syncType: 'FUZZY_WATCH_RESOURCE_CHANGED', serviceKey, changedType: type, module: 'naming' };
    this.sink(connectionId, CHANGE_REQUEST, body).then(
      () => void this.pushesOk++,
      () => {
        this.pushesFailed++;
        // Retry with the same change, unless the connection is gone or a newer change of the key is queued.
        if (this.stopped || this.connections.get(connectionId) !== c || c.changes.has(serviceKey)) return;
        const s = this.settings();
        if (attempt < s.maxRetries) this.queueChange(c, connectionId, serviceKey, type, s.retryDelayMs, attempt + 1);
      },
    );
  }

  // ---------------------------------------------------------------- sync sessions

  private stopSync(c: ConnectionState, patternText: string): void {
    const session = c.syncs.get(patternText);
    if (!session) return;
    session.cancelled = true;
    for (const t of session.timers) t.cancel();
    c.syncs.delete(patternText);
  }

  private startSync(connectionId: string, state: PatternState, received: readonly string[], initializing: boolean, s: FuzzyWatchSettings): void {
    const c = this.connection(connectionId);
    const patternText = state.pattern.text;
    this.stopSync(c, patternText);
    const contexts = diff(state.matched, received, state.matched.size >= s.maxMatchedServices);
    const syncType: SyncType = initializing ? 'FUZZY_WATCH_INIT_NOTIFY' : 'FUZZY_WATCH_DIFF_SYNC_NOTIFY';
    const session = { cancelled: false, timers: [] as TimerHandle[] };
    c.syncs.set(patternText, session);
    const later = (fn: () => void, ms: number): void => {
      if (session.cancelled || this.stopped) return;
      session.timers.push(this.clock.setTimeout(fn, ms));
    };
    const finish = (): void =>
      later(() => this.sendSync(connectionId, session, { syncType: 'FINISH_FUZZY_WATCH_INIT_NOTIFY', groupKeyPattern: patternText, contexts: [], totalBatch: 1, currentBatch: 1 }, 0, done), s.delayMs);
    const done = (): void => {
      if (c.syncs.get(patternText) === session && session.cancelled === false) c.syncs.delete(patternText);
    };
    if (contexts.length === 0) {
      if (initializing) finish();
      else done();
      return;
    }
    const batches: { serviceKey: string; changedType: ChangedType }[][] = [];
    for (let i = 0; i < contexts.length; i += s.batchSize) batches.push(contexts.slice(i, i + s.batchSize));
    let acked = 0;
    const batchAcked = (): void => {
      acked++;
      if (acked < batches.length) return;
      if (initializing) finish();
      else done();
    };
    batches.forEach((batch, i) => {
      const body = { syncType, groupKeyPattern: patternText, contexts: batch, totalBatch: batches.length, currentBatch: i + 1 };
      later(() => this.sendSync(connectionId, session, body, 0, batchAcked), s.delayMs);
    });
  }

  private sendSync(connectionId: string, session: { cancelled: boolean; timers: TimerHandle[] }, body: Record<string, unknown>, attempt: number, acked: () => void): void {
    if (session.cancelled || this.stopped) return;
    this.sink(connectionId, SYNC_REQUEST, { ...body, module: 'naming' }).then(
      () => {
        this.pushesOk++;
        if (!session.cancelled) acked();
      },
      () => {
        this.pushesFailed++;
        const s = this.settings();
        if (session.cancelled || this.stopped || attempt >= s.maxRetries) return;
        session.timers.push(this.clock.setTimeout(() => this.sendSync(connectionId, session, body, attempt + 1, acked), s.retryDelayMs));
      },
    );
  }
}

/**
 * The sync contexts: keys only on the server are ADD_SERVICE, keys only in the client's set are
 * DELETE_SERVICE; when the match set is full (a partial view), deletions are left out. Sorted, so
 * batches are reproducible.
 */
export function diff(matched: ReadonlySet<string>, received: readonly string[], partial: boolean): { serviceKey: string; changedType: ChangedType }[] {
  const have = new Set(received);
  const out: { serviceKey: string; changedType: ChangedType }[] = [];
  for (const k of [...matched].sort()) if (!have.has(k)) out.push({ serviceKey: k, changedType: 'ADD_SERVICE' });
  if (!partial) for (const k of [...have].sort()) if (!matched.has(k)) out.push({ serviceKey: k, changedType: 'DELETE_SERVICE' });
  return out;
}

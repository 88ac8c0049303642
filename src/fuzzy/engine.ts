/**
 * The Nacos 3 fuzzy-watch engine shared by naming and config (docs/fuzzy-watch.md): SDK
 * connections watch `namespace>>group>>resource` patterns and hear which resources (services,
 * configs) exist and when one appears or goes away. Deterministic: time through the injected Clock,
 * pushes through the injected sink, resources through the injected scan; the owner drives it with
 * `resourceChanged`. What differs between naming and config (request types, JSON field names,
 * change types, the FINISH body) is the `FuzzyDialect`.
 *
 * State, all local to this member (nothing is replicated; a member hears of resources created
 * elsewhere because Distro and Raft make them appear in its own stores):
 * - per pattern: its watching connections and its match set (≤ `maxMatched` keys);
 * - per connection: its patterns, its pending sync sessions and change notifications.
 *
 * A WATCH answers at once and then syncs: the diff between the match set and the keys the client
 * says it holds, in batches of `batchSize`, as `FUZZY_WATCH_INIT_NOTIFY` (client still
 * initialising) or `FUZZY_WATCH_DIFF_SYNC_NOTIFY`; after an INIT sync whose batches were all acked,
 * a `FINISH_FUZZY_WATCH_INIT_NOTIFY` (also when the diff is empty). A key enters the match set when
 * its resource appears and leaves it when the resource goes; every connection watching a pattern
 * whose match set changed gets one change push per key after the merge window.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { parsePattern, patternMatches, type FuzzyPattern } from './pattern.js';

export type SyncType = 'FUZZY_WATCH_INIT_NOTIFY' | 'FUZZY_WATCH_DIFF_SYNC_NOTIFY' | 'FINISH_FUZZY_WATCH_INIT_NOTIFY';

/** Nacos' error codes of a WATCH over a limit (docs/fuzzy-watch.md "Limits"). */
export const PATTERN_OVER_LIMIT = { code: 50310, message: 'fuzzy watch pattern over limit' } as const;
export const MATCH_OVER_LIMIT = { code: 50311, message: 'fuzzy watch pattern matched count over limit' } as const;

/** A watchable resource: a service (name = service name) or a config (name = dataId). */
export interface FuzzyResource {
  readonly namespace: string;
  readonly group: string;
  readonly name: string;
}

/** How one module spells the fuzzy-watch pushes (docs/protocol/nacos3.md §5, docs/protocol/config.md §2.8). */
export interface FuzzyDialect {
  readonly module: 'naming' | 'config';
  readonly syncRequest: string;
  readonly changeRequest: string;
  /** The key of a resource as the client holds it (`receivedGroupKeys`). */
  keyOf(r: FuzzyResource): string;
  /** One sync context: the key exists on the server (`true`) or only in the client's set. */
  context(key: string, exists: boolean): Record<string, unknown>;
  /** The FINISH push's fields beside `syncType` and `groupKeyPattern`. */
  readonly finish: Readonly<Record<string, unknown>>;
  /** The change push's body (without `module`): the key entered (`true`) or left a match set. */
  change(key: string, added: boolean): Record<string, unknown>;
}

export interface FuzzyWatchSettings {
  /** Distinct patterns watched on this member, all connections together (Nacos: 20). */
  maxPatterns: number;
  /** Keys tracked per pattern (Nacos: 500). */
  maxMatched: number;
  /** Contexts per sync push (Nacos: naming 10, config 20). */
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

/** The resources of one namespace (for naming: every service, empty ones included). */
export type ResourceScan = (namespace: string) => Iterable<FuzzyResource>;

export type WatchOutcome = { ok: true } | { ok: false; errorCode: number; message: string };

interface PatternState {
  readonly pattern: FuzzyPattern;
  readonly watchers: Set<string>;
  readonly matched: Set<string>;
}

interface SyncSession {
  cancelled: boolean;
  timers: TimerHandle[];
}

interface ConnectionState {
  readonly patterns: Set<string>;
  /** Running sync session per pattern (a new WATCH of the same pattern replaces it). */
  readonly syncs: Map<string, SyncSession>;
  /** Pending change notification per key (the latest change wins). */
  readonly changes: Map<string, { added: boolean; timer: TimerHandle | null }>;
}

export interface FuzzyWatchStats {
  patterns: number;
  watchers: number;
  pushesOk: number;
  pushesFailed: number;
}

export class FuzzyWatchCore {
  private readonly patterns = new Map<string, PatternState>();
  private readonly connections = new Map<string, ConnectionState>();
  private pushesOk = 0;
  private pushesFailed = 0;
  private stopped = false;

  constructor(
    private readonly dialect: FuzzyDialect,
    private readonly settings: () => FuzzyWatchSettings,
    private readonly scan: ResourceScan,
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
      this.fill(state, s.maxMatched);
      this.patterns.set(patternText, state);
    }
    state.watchers.add(connectionId);
    this.connection(connectionId).patterns.add(patternText);
    this.startSync(connectionId, state, received, initializing, s);
    if (state.matched.size >= s.maxMatched) return { ok: false, errorCode: MATCH_OVER_LIMIT.code, message: MATCH_OVER_LIMIT.message };
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

  /**
   * A resource appeared (`exists`) or went away. Every pattern matching it adds or removes its key
   * (adds beyond the cap are ignored; a removal from a full set refills it from the scan, without
   * notifying the refill); the watchers of a pattern whose set changed are notified.
   */
  resourceChanged(r: FuzzyResource, exists: boolean): void {
    const key = this.dialect.keyOf(r);
    const max = this.settings().maxMatched;
    const notify = new Set<string>();
    for (const state of this.patterns.values()) {
      if (!patternMatches(state.pattern, r.namespace, r.group, r.name)) continue;
      let changed = false;
      if (exists) {
        if (!state.matched.has(key) && state.matched.size < max) {
          state.matched.add(key);
          changed = true;
        }
      } else if (state.matched.delete(key)) {
        changed = true;
        if (state.matched.size === max - 1) this.fill(state, max, key);
      }
      if (changed) for (const w of state.watchers) notify.add(w);
    }
    for (const conn of notify) this.scheduleChange(conn, key, exists);
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

  /** Adds matching resources of the pattern's namespace until the set holds `max` keys. */
  private fill(state: PatternState, max: number, except?: string): void {
    const p = state.pattern;
    for (const r of this.scan(p.namespace)) {
      if (state.matched.size >= max) return;
      if (!patternMatches(p, r.namespace, r.group, r.name)) continue;
      const key = this.dialect.keyOf(r);
      if (key !== except) state.matched.add(key);
    }
  }

  // ---------------------------------------------------------------- change notifications

  private scheduleChange(connectionId: string, key: string, added: boolean): void {
    const c = this.connections.get(connectionId);
    if (!c || this.stopped) return;
    const pending = c.changes.get(key);
    // Inside the merge window the latest change of the key wins (an add then a delete sends the delete).
    if (pending) pending.added = added;
    else this.queueChange(c, connectionId, key, added, this.settings().delayMs, 0);
  }

  private queueChange(c: ConnectionState, connectionId: string, key: string, added: boolean, delayMs: number, attempt: number): void {
    const entry: { added: boolean; timer: TimerHandle | null } = { added, timer: null };
    c.changes.set(key, entry);
    entry.timer = this.clock.setTimeout(() => {
      if (c.changes.get(key) === entry) c.changes.delete(key);
      this.sendChange(c, connectionId, key, entry.added, attempt);
    }, delayMs);
  }

  private sendChange(c: ConnectionState, connectionId: string, key: string, added: boolean, attempt: number): void {
    const body = { ...this.dialect.change(key, added), module: this.dialect.module };
    this.sink(connectionId, this.dialect.changeRequest, body).then(
      () => void this.pushesOk++,
      () => {
        this.pushesFailed++;
        // Retry with the same change, unless the connection is gone or a newer change of the key is queued.
        if (this.stopped || this.connections.get(connectionId) !== c || c.changes.has(key)) return;
        const s = this.settings();
        if (attempt < s.maxRetries) this.queueChange(c, connectionId, key, added, s.retryDelayMs, attempt + 1);
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
    const contexts = diff(state.matched, received, state.matched.size >= s.maxMatched);
    const syncType: SyncType = initializing ? 'FUZZY_WATCH_INIT_NOTIFY' : 'FUZZY_WATCH_DIFF_SYNC_NOTIFY';
    const session: SyncSession = { cancelled: false, timers: [] };
    c.syncs.set(patternText, session);
    const later = (fn: () => void, ms: number): void => {
      if (session.cancelled || this.stopped) return;
      session.timers.push(this.clock.setTimeout(fn, ms));
    };
    const finishBody = { syncType: 'FINISH_FUZZY_WATCH_INIT_NOTIFY', groupKeyPattern: patternText, ...this.dialect.finish };
    const finish = (): void => later(() => this.sendSync(connectionId, session, finishBody, 0, done), s.delayMs);
    const done = (): void => {
      if (c.syncs.get(patternText) === session && session.cancelled === false) c.syncs.delete(patternText);
    };
    if (contexts.length === 0) {
      if (initializing) finish();
      else done();
      return;
    }
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < contexts.length; i += s.batchSize) {
      batches.push(contexts.slice(i, i + s.batchSize).map((x) => this.dialect.context(x.key, x.exists)));
    }
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

  private sendSync(connectionId: string, session: SyncSession, body: Record<string, unknown>, attempt: number, acked: () => void): void {
    if (session.cancelled || this.stopped) return;
    this.sink(connectionId, this.dialect.syncRequest, { ...body, module: this.dialect.module }).then(
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
 * The sync contexts: keys only on the server exist (`exists: true`), keys only in the client's set
 * do not; when the match set is full (a partial view), deletions are left out. Sorted, so batches
 * are reproducible.
 */
export function diff(matched: ReadonlySet<string>, received: readonly string[], partial: boolean): { key: string; exists: boolean }[] {
  const have = new Set(received);
  const out: { key: string; exists: boolean }[] = [];
  for (const k of [...matched].sort()) if (!have.has(k)) out.push({ key: k, exists: true });
  if (!partial) for (const k of [...have].sort()) if (!matched.has(k)) out.push({ key: k, exists: false });
  return out;
}

/**
 * Who listens to which config over the SDK gRPC port (docs/config-center.md, "Listening and
 * pushes"; docs/protocol/config.md §2.5): per connection, the keys it listens to with the md5 it
 * last reported and the tenant exactly as it sent it; per key, the listening connections. Local to
 * this member (never replicated): every member applies every change and notifies its own
 * listeners. Pure state, no I/O and no timers; the composition root clears a connection's entries
 * when the connection unregisters.
 */
import type { ClientLabels, ConfigCenter, ConfigKey } from './types.js';

/** One listened key of one connection. */
export interface ListenEntry {
  /** The key under the normalized namespace (`public` for a blank tenant). */
  readonly key: ConfigKey;
  /** The md5 the client reported when it last listened ('' = it holds nothing). */
  readonly md5: string;
  /**
   * The tenant as the client sent it, echoed in answers and pushes; null when it was blank (then
   * pushes omit `tenant`, docs/protocol/config.md §2.6: the Rust SDK ignores a push that names
   * `public` when it listened with '').
   */
  readonly sentTenant: string | null;
}

/** A map key for a ConfigKey (not a wire format: the separator cannot occur in valid names). */
export function keyId(k: ConfigKey): string {
  return `${k.tenant}\u0001${k.group}\u0001${k.dataId}`;
}

/**
 * Whether a client holding `clientMd5` is up to date, gray-aware (the md5 a client with these
 * labels should hold). A missing config has md5 '', so '' from the client counts as up to date for
 * it (docs/protocol/config.md §2.5).
 */
export function isUpToDate(center: Pick<ConfigCenter, 'md5'>, key: ConfigKey, clientMd5: string, labels?: ClientLabels): boolean {
  return center.md5(key, labels) === clientMd5;
}

export class ConfigListenRegistry {
  /** keyId → connection id → entry. */
  private readonly byKey = new Map<string, Map<string, ListenEntry>>();
  /** connection id → keyId → entry. */
  private readonly byConn = new Map<string, Map<string, ListenEntry>>();
  private entries = 0;

  /** Adds the listen, or overwrites the md5 (and echoed tenant) of an existing one. */
  listen(connectionId: string, entry: ListenEntry): void {
    const id = keyId(entry.key);
    let own = this.byConn.get(connectionId);
    if (!own) this.byConn.set(connectionId, (own = new Map()));
    if (!own.has(id)) this.entries++;
    own.set(id, entry);
    let conns = this.byKey.get(id);
    if (!conns) this.byKey.set(id, (conns = new Map()));
    conns.set(connectionId, entry);
  }

  /** Removes one listen; false when the connection did not listen to the key. */
  unlisten(connectionId: string, key: ConfigKey): boolean {
    const id = keyId(key);
    const own = this.byConn.get(connectionId);
    if (!own?.delete(id)) return false;
    this.entries--;
    if (own.size === 0) this.byConn.delete(connectionId);
    this.dropFromKey(id, connectionId);
    return true;
  }

  /** Forgets every listen of a connection (it unregistered). Returns how many were removed. */
  clear(connectionId: string): number {
    const own = this.byConn.get(connectionId);
    if (!own) return 0;
    this.byConn.delete(connectionId);
    for (const id of own.keys()) this.dropFromKey(id, connectionId);
    this.entries -= own.size;
    return own.size;
  }

  /** The connections listening to a key, with what each reported. */
  listenersOf(key: ConfigKey): ReadonlyMap<string, ListenEntry> {
    return this.byKey.get(keyId(key)) ?? EMPTY;
  }

  /** What one connection listens to. */
  entriesOf(connectionId: string): Iterable<ListenEntry> {
    return this.byConn.get(connectionId)?.values() ?? [];
  }

  /** Number of keys one connection listens to. */
  countOf(connectionId: string): number {
    return this.byConn.get(connectionId)?.size ?? 0;
  }

  isListening(connectionId: string, key: ConfigKey): boolean {
    return this.byConn.get(connectionId)?.has(keyId(key)) ?? false;
  }

  /** Connections with at least one listen. */
  connectionCount(): number {
    return this.byConn.size;
  }

  /** (connection, key) pairs in all. */
  size(): number {
    return this.entries;
  }

  private dropFromKey(id: string, connectionId: string): void {
    const conns = this.byKey.get(id);
    if (!conns) return;
    conns.delete(connectionId);
    if (conns.size === 0) this.byKey.delete(id);
  }
}

const EMPTY: ReadonlyMap<string, ListenEntry> = new Map();

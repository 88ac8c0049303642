/**
 * The configuration center's in-memory index on one member, fed by every applied store write
 * (tables `config`, `configGray`, `configHistory`) and serving every read
 * (docs/config-center.md "Storage"). Every member applies the same writes in the same order, so
 * every member holds the same index and fires the same changes.
 */
import type { StoreWrite } from '../persistence/persistent-store.js';
import { configRowKey } from './config-keys.js';
import { decodeConfigWrite } from './config-rows.js';
import { byPriority } from './gray.js';
import type { ConfigChange, ConfigChangeListener, ConfigKey, ConfigRecord, GrayVariant, HistoryEntry } from './types.js';

type Logger = { error(o: object, m: string): void };

export class ConfigState {
  private readonly configs = new Map<string, ConfigRecord>();
  /** configRowKey → variants in priority order. */
  private readonly grayVariants = new Map<string, GrayVariant[]>();
  private readonly history = new Map<number, HistoryEntry>();
  /** configRowKey → history ids, ascending. */
  private readonly historyByKey = new Map<string, number[]>();
  /** The highest config or history id this member has seen (ids are allocated above it). */
  private maxId = 0;
  private readonly listeners = new Set<ConfigChangeListener>();

  constructor(private readonly log?: Logger) {}

  /** Loads stored rows (at start): no change is fired. */
  load(entries: Iterable<Pick<StoreWrite, 'table' | 'key' | 'value'>>): void {
    for (const e of entries) this.applyOne(e, null);
  }

  /** Applies one committed batch and fires a change per key whose served content changed. */
  apply(batch: readonly StoreWrite[]): void {
    const changes = new Map<string, ConfigChange>();
    for (const w of batch) this.applyOne(w, changes);
    for (const c of changes.values()) {
      const change: ConfigChange = { ...c, md5: this.configs.get(configRowKey(c))?.md5 ?? '' };
      for (const l of this.listeners) {
        try {
          l(change);
        } catch (e) {
          this.log?.error({ err: e }, 'config change listener failed');
        }
      }
    }
  }

  onChange(listener: ConfigChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private applyOne(w: Pick<StoreWrite, 'table' | 'key' | 'value'>, changes: Map<string, ConfigChange> | null): void {
    let d;
    try {
      d = decodeConfigWrite(w);
    } catch (e) {
      // The store checks writes before proposing and at apply; reaching here is a bug, not input.
      this.log?.error({ err: e, table: w.table, key: w.key }, 'config row cannot be applied');
      return;
    }
    if (d === null) return;
    const note = (k: ConfigKey, grayName?: string): void => {
      if (!changes) return;
      const id = `${configRowKey(k)}\u0000${grayName ?? ''}`;
      changes.set(id, grayName === undefined ? { tenant: k.tenant, group: k.group, dataId: k.dataId, md5: '' } : { tenant: k.tenant, group: k.group, dataId: k.dataId, grayName, md5: '' });
    };
    if (d.table === 'config') {
      const old = this.configs.get(d.key);
      if (d.row) {
        holdOnce(d.row, w.value, this.newestHistory(d.key));
        this.configs.set(d.key, d.row);
        this.seeId(d.row.id);
        if (old?.md5 !== d.row.md5) note(d.row);
      } else if (old) {
        this.configs.delete(d.key);
        note(old);
      }
    } else if (d.table === 'configGray') {
      const parsed = JSON.parse(d.key) as [string, string, string, string];
      const key = { tenant: parsed[0], group: parsed[1], dataId: parsed[2] };
      const grayName = parsed[3];
      const ck = configRowKey(key);
      const list = this.grayVariants.get(ck) ?? [];
      const i = list.findIndex((v) => v.grayName === grayName);
      const old = i >= 0 ? list[i] : undefined;
      if (i >= 0) list.splice(i, 1);
      if (d.row) {
        list.push(d.row);
        list.sort(byPriority);
      }
      if (list.length > 0) this.grayVariants.set(ck, list);
      else this.grayVariants.delete(ck);
      const same = old && d.row && old.md5 === d.row.md5 && JSON.stringify(old.rule) === JSON.stringify(d.row.rule);
      if ((old || d.row) && !same) note(key, grayName);
    } else {
      const id = Number(d.key);
      const old = this.history.get(id);
      if (old) {
        this.history.delete(id);
        const ids = this.historyByKey.get(configRowKey(old));
        if (ids) {
          const at = ids.indexOf(id);
          if (at >= 0) ids.splice(at, 1);
          if (ids.length === 0) this.historyByKey.delete(configRowKey(old));
        }
      }
      if (d.row) {
        const ck = configRowKey(d.row);
        if (!holdOnce(d.row, w.value, this.configs.get(ck))) holdOnce(d.row, w.value, this.newestHistory(ck));
        this.history.set(id, d.row);
        this.seeId(d.row.id);
        const ids = this.historyByKey.get(ck) ?? [];
        insertSorted(ids, id);
        this.historyByKey.set(ck, ids);
      }
    }
  }

  /** The newest history row of a key (by id), if any. */
  private newestHistory(ck: string): HistoryEntry | undefined {
    const ids = this.historyByKey.get(ck);
    const last = ids?.[ids.length - 1];
    return last === undefined ? undefined : this.history.get(last);
  }

  private seeId(id: string): void {
    const n = Number(id);
    if (n > this.maxId) this.maxId = n;
  }

  /** The highest id seen. */
  highestId(): number {
    return this.maxId;
  }

  record(key: ConfigKey): ConfigRecord | null {
    return this.configs.get(configRowKey(key)) ?? null;
  }

  /** The variants of a key in priority order. */
  grays(key: ConfigKey): readonly GrayVariant[] {
    return this.grayVariants.get(configRowKey(key)) ?? [];
  }

  gray(key: ConfigKey, grayName: string): GrayVariant | null {
    return this.grays(key).find((v) => v.grayName === grayName) ?? null;
  }

  records(): IterableIterator<ConfigRecord> {
    return this.configs.values();
  }

  size(): number {
    return this.configs.size;
  }

  historyEntry(id: number): HistoryEntry | null {
    return this.history.get(id) ?? null;
  }

  /** History ids of a key, ascending. */
  historyIds(key: ConfigKey): readonly number[] {
    return this.historyByKey.get(configRowKey(key)) ?? [];
  }

  /** Every history entry, in id order of insertion into the map (for the cleaner). */
  historyEntries(): IterableIterator<HistoryEntry> {
    return this.history.values();
  }

  historySize(): number {
    return this.history.size;
  }
}

function insertSorted(a: number[], v: number): void {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  if (a[lo] !== v) a.splice(lo, 0, v);
}

/**
 * Content held once (docs/config-center.md "Memory"): when `row` carries the same content as
 * `other` (a config and its newest history row: an insert's `I` row, or an update's `U` row after
 * the `I` row of the same content), `row` and the store's row `value` it was read from take
 * `other`'s content and md5 strings, so the separate copy a JSON parse made can be collected.
 * Strings are immutable and the values equal, so no reader can tell. True when shared.
 */
function holdOnce(row: { content: string; md5: string }, value: unknown, other: { readonly content: string; readonly md5: string } | undefined): boolean {
  if (!other || other.md5 !== row.md5 || other.content !== row.content) return false;
  const mutable = row as { content: string; md5: string };
  mutable.content = other.content;
  mutable.md5 = other.md5;
  if (typeof value === 'object' && value !== null && value !== row) {
    const v = value as { content?: unknown; md5?: unknown };
    if (v.content === other.content) v.content = other.content;
    if (v.md5 === other.md5) v.md5 = other.md5;
  }
  return true;
}

import { ConditionFailedError, unmetExpectation, type ApplyListener, type PersistentStore, type StoreTable, type StoreWrite } from './persistent-store.js';

/** In-memory store for unit tests. */
export class MemoryStore implements PersistentStore {
  private readonly data = new Map<string, { table: StoreTable; key: string; value: unknown }>();
  private readonly listeners: ApplyListener[] = [];
  async open(): Promise<void> {}
  entries(): Iterable<{ table: StoreTable; key: string; value: unknown }> {
    return [...this.data.values()];
  }
  async write(batch: readonly StoreWrite[]): Promise<void> {
    const unmet = unmetExpectation(batch, (t, k) => this.data.get(`${t}\u0000${k}`)?.value);
    if (unmet !== null) throw new ConditionFailedError(unmet);
    const applied: StoreWrite[] = [];
    for (const w of batch) {
      const id = `${w.table}\u0000${w.key}`;
      if (w.onlyIfExists && !this.data.has(id)) continue;
      if (w.value === null || w.value === undefined) this.data.delete(id);
      else this.data.set(id, { table: w.table, key: w.key, value: structuredClone(w.value) });
      applied.push(w);
    }
    if (applied.length === 0) return;
    for (const l of this.listeners) l(applied);
  }
  onApply(listener: ApplyListener): void {
    this.listeners.push(listener);
  }
  async close(): Promise<void> {}
}

import type { ApplyListener, PersistentStore, StoreTable, StoreWrite } from './persistent-store.js';

/** In-memory store for unit tests. */
export class MemoryStore implements PersistentStore {
  private readonly data = new Map<string, { table: StoreTable; key: string; value: unknown }>();
  private readonly listeners: ApplyListener[] = [];
  async open(): Promise<void> {}
  entries(): Iterable<{ table: StoreTable; key: string; value: unknown }> {
    return [...this.data.values()];
  }
  async write(batch: readonly StoreWrite[]): Promise<void> {
    for (const w of batch) {
      const id = `${w.table}\u0000${w.key}`;
      if (w.value === null || w.value === undefined) this.data.delete(id);
      else this.data.set(id, { table: w.table, key: w.key, value: structuredClone(w.value) });
    }
    for (const l of this.listeners) l(batch);
  }
  onApply(listener: ApplyListener): void {
    this.listeners.push(listener);
  }
  async close(): Promise<void> {}
}

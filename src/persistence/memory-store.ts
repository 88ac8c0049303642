import { ConditionFailedError, appliedWrite, entryUpdateProblem, resolveWrite, unmetExpectation, type ApplyListener, type PersistentStore, type StoreTable, type StoreWrite } from './persistent-store.js';

/** In-memory store for unit tests. */
export class MemoryStore implements PersistentStore {
  private readonly data = new Map<string, { table: StoreTable; key: string; value: unknown }>();
  private readonly listeners: ApplyListener[] = [];
  async open(): Promise<void> {}
  entries(): Iterable<{ table: StoreTable; key: string; value: unknown }> {
    return [...this.data.values()];
  }
  async write(batch: readonly StoreWrite[]): Promise<void> {
    // The shape rule the Raft state machine enforces at its edge (kv-state-machine.ts), so tests see the same refusal.
    for (const w of batch) {
      const why = entryUpdateProblem(w);
      if (why !== null) throw new Error(`invalid persistent write: ${why}`);
    }
    const unmet = unmetExpectation(batch, (t, k) => this.data.get(`${t}\u0000${k}`)?.value);
    if (unmet !== null) throw new ConditionFailedError(unmet);
    const applied: StoreWrite[] = [];
    for (const w of batch) {
      const id = `${w.table}\u0000${w.key}`;
      const value = resolveWrite(w, this.data.get(id)?.value);
      if (value === undefined) continue;
      if (value === null) this.data.delete(id);
      else this.data.set(id, { table: w.table, key: w.key, value: structuredClone(value) });
      applied.push(appliedWrite(w, value));
    }
    if (applied.length === 0) return;
    for (const l of this.listeners) l(applied);
  }
  onApply(listener: ApplyListener): void {
    this.listeners.push(listener);
  }
  async close(): Promise<void> {}
}

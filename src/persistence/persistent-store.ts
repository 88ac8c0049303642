/**
 * The seam between naming and durable, replicated state. A write resolves only once the batch is
 * durable (fsync) and applied: every apply listener has seen it. The single-member implementation
 * is an embedded SQLite database; the Raft issue replaces the implementation, not this interface.
 */
export const STORE_TABLES = ['instance', 'service', 'instanceMeta', 'switch', 'namespace', 'user', 'role', 'permission', 'authKey'] as const;
export type StoreTable = (typeof STORE_TABLES)[number];

export interface StoreWrite {
  readonly table: StoreTable;
  readonly key: string;
  /** JSON-serialisable value; null deletes the key. */
  readonly value: unknown;
  /**
   * Conditional put: apply only if the key exists when the batch is applied (decided by the state
   * machine at apply time, so every member decides the same). Used by health-status writes so a
   * flip racing a deregistration cannot resurrect the instance (Nacos' CHANGE guard). Writes that
   * were skipped are not passed to apply listeners.
   */
  readonly onlyIfExists?: boolean;
}

export type ApplyListener = (batch: readonly StoreWrite[]) => void;

export interface PersistentStore {
  open(): Promise<void>;
  /** Every stored entry, for rebuilding the in-memory view at start. */
  entries(): Iterable<{ table: StoreTable; key: string; value: unknown }>;
  /**
   * Atomically and durably applies the batch, then notifies listeners (with the writes that took
   * effect: conditional writes on missing keys are dropped), then resolves.
   */
  write(batch: readonly StoreWrite[]): Promise<void>;
  onApply(listener: ApplyListener): void;
  close(): Promise<void>;
}

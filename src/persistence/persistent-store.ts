/**
 * The seam between naming and durable, replicated state. A write resolves only once the batch is
 * durable (fsync) and applied: every apply listener has seen it. The single-member implementation
 * is an embedded SQLite database; the Raft issue replaces the implementation, not this interface.
 */
export const STORE_TABLES = [
  'instance',
  'service',
  'instanceMeta',
  'switch',
  'namespace',
  'user',
  'role',
  'permission',
  'authKey',
  'config',
  'configGray',
  'configHistory',
] as const;
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
  /**
   * Batch condition, decided by the state machine at apply time (every member decides the same):
   * unless every write's `expect` holds, NO write of the batch is applied and its writer gets a
   * `ConditionFailedError`. `absent`: the key does not exist. `field`: the key exists and its
   * value's string field `field` equals `equals`. The configuration center's compare-and-set
   * publish and its unique history ids use it (docs/config-center.md "Concurrent writes").
   */
  readonly expect?: WriteExpectation;
}

export type WriteExpectation = { readonly absent: true } | { readonly field: string; readonly equals: string };

/** Prefix of the reason a batch whose `expect` failed was skipped (the state machine's rejection text). */
export const CONDITION_FAILED = 'condition failed: ';

/** A write whose batch condition (`StoreWrite.expect`) did not hold at apply time; nothing of the batch was applied. */
export class ConditionFailedError extends Error {
  constructor(readonly detail: string) {
    super(`${CONDITION_FAILED}${detail}`);
    this.name = 'ConditionFailedError';
  }
}

/**
 * The first write of `batch` whose `expect` does not hold against the current rows (`current`:
 * the stored value, undefined when absent), as a reason text; null when every condition holds.
 */
export function unmetExpectation(batch: readonly StoreWrite[], current: (table: StoreTable, key: string) => unknown): string | null {
  for (const w of batch) {
    const e = w.expect;
    if (!e) continue;
    const v = current(w.table, w.key);
    if ('absent' in e) {
      if (v !== undefined) return `${w.table} ${JSON.stringify(w.key)} exists`;
      continue;
    }
    const actual = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[e.field] : undefined;
    if (actual !== e.equals) return `${w.table} ${JSON.stringify(w.key)}: ${e.field} is not ${JSON.stringify(e.equals)}`;
  }
  return null;
}

export type ApplyListener = (batch: readonly StoreWrite[]) => void;

/**
 * Why the apply listeners could not apply a write (null: they can). The store refuses such a write
 * before proposing it and skips a command holding one at apply time (docs/security.md §5).
 */
export type WriteCheck = (w: Pick<StoreWrite, 'table' | 'key' | 'value'>) => string | null;

/** The first failing check's answer. */
export function allChecks(...checks: readonly WriteCheck[]): WriteCheck {
  return (w) => {
    for (const c of checks) {
      const why = c(w);
      if (why !== null) return why;
    }
    return null;
  };
}

export interface PersistentStore {
  open(): Promise<void>;
  /** Every stored entry, for rebuilding the in-memory view at start. */
  entries(): Iterable<{ table: StoreTable; key: string; value: unknown }>;
  /**
   * Atomically and durably applies the batch, then notifies listeners (with the writes that took
   * effect: conditional writes on missing keys are dropped), then resolves.
   */
  write(batch: readonly StoreWrite[]): Promise<void>;
  /**
   * Read-your-writes across members: resolves once this member has applied every write that was
   * acknowledged (by any member) before the call. Used before answering "not found" to a write
   * that depends on another write made through another member (e.g. a role for a user just
   * created elsewhere). Absent or a no-op for single-copy stores.
   */
  sync?(): Promise<void>;
  onApply(listener: ApplyListener): void;
  close(): Promise<void>;
}

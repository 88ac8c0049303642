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
  /**
   * Field update: only these top-level fields of `value` replace the ones of the key's current
   * value, decided at apply time; the other fields keep what the latest write put there (implies
   * `onlyIfExists`). Used by health-status writes, which are built from the writer's local copy of
   * the instance: a full put from a copy that lags the log would undo a newer registration's
   * metadata, weight or enabled flag (found by `npm run chaos`, docs/reliability.md).
   */
  readonly onlyFields?: readonly string[];
  /**
   * Entry update: the map field `field` (which must also be in `onlyFields`) is not replaced whole
   * but entry by entry, decided at apply time: each listed key ends up as `value[field]` has it
   * (removed when `value[field]` lacks it); the map's other entries keep what the latest write put
   * there, and a record without the map gets one. Cluster updates use it (`clusters`, the one
   * cluster): two clusters of one service updated through two members whose copies lag the log
   * both survive (docs/reliability.md "Stale records"). A member of an older version ignores it and
   * applies the plain field update (docs/architecture.md "Persistent state" on upgrades).
   */
  readonly onlyEntries?: EntryUpdate;
}

/** The entries of one map field a write sets or removes (`StoreWrite.onlyEntries`). */
export interface EntryUpdate {
  readonly field: string;
  readonly keys: readonly string[];
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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sets an own property, also for the key `__proto__` (a valid cluster name), which `o[k] = v` would not. */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** `held` (a map, or anything else: none yet) with the listed keys set from `given`, or removed where `given` lacks them. */
function mergeEntries(held: unknown, given: unknown, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = isRecord(held) ? { ...held } : {};
  const from = isRecord(given) ? given : {};
  for (const k of keys) {
    if (Object.hasOwn(from, k)) setOwn(out, k, from[k]);
    else delete out[k];
  }
  return out;
}

/** Whether `w` is applied onto the key's current value (a field or entry update) rather than put. */
export const isPartialWrite = (w: StoreWrite): boolean => w.onlyFields !== undefined || w.onlyEntries !== undefined;

/**
 * What a write stores given the key's current value (`undefined`: absent): the value to put (null
 * deletes), or `undefined` when the write is skipped (conditional on a missing key). Both stores
 * apply writes through this, so they decide the same.
 */
export function resolveWrite(w: StoreWrite, current: unknown): unknown {
  const partial = isPartialWrite(w);
  if ((w.onlyIfExists || partial) && current === undefined) return undefined;
  if (!partial) return w.value ?? null;
  if (!isRecord(current) || !isRecord(w.value)) return undefined;
  const out: Record<string, unknown> = { ...current };
  for (const f of w.onlyFields ?? []) if (Object.hasOwn(w.value, f)) out[f] = w.value[f];
  const e = w.onlyEntries;
  if (e) setOwn(out, e.field, mergeEntries(current[e.field], w.value[e.field], e.keys));
  return out;
}

/** What apply listeners are told a write did: a partial write's whole merged value (`value`, from resolveWrite). */
export const appliedWrite = (w: StoreWrite, value: unknown): StoreWrite => (isPartialWrite(w) ? { table: w.table, key: w.key, value } : w);

/**
 * Why the shape of `w`'s entry update is wrong (null: it has none, or it is fine). The state
 * machine refuses a command holding such a write (kv-state-machine.ts), so it is never applied.
 */
export function entryUpdateProblem(w: Pick<StoreWrite, 'value' | 'onlyFields' | 'onlyEntries'>): string | null {
  const e = w.onlyEntries;
  if (!e) return null;
  const f = JSON.stringify(e.field);
  if (!w.onlyFields?.includes(e.field)) return `onlyEntries: field ${f} must also be listed in onlyFields`;
  if (!isRecord(w.value) || !isRecord(w.value[e.field])) return `onlyEntries: the value's field ${f} must be an object (the map whose entries are written)`;
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

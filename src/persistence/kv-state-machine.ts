/**
 * The replicated state machine behind the Raft-backed PersistentStore: a key-value map of
 * (table, key) → JSON value, changed by committed batches. Every member applies the same
 * batches in the same order. Batches carry a request id; a re-proposed batch (a client retry
 * after a leader change) is applied once (Raft thesis §6.3), and the window of recent ids is
 * part of the snapshot so the rule survives restarts and snapshot installs.
 */
import { z } from 'zod';
import type { Entry } from '../raft/types.js';
import { IdWindow } from './id-window.js';
import type { RaftStateMachine } from '../raft/host.js';
import {
  CONDITION_FAILED,
  STORE_TABLES,
  appliedWrite,
  entryUpdateProblem,
  resolveWrite,
  unmetExpectation,
  type ApplyListener,
  type StoreTable,
  type StoreWrite,
  type WriteCheck,
} from './persistent-store.js';

const expectSchema = z.union([z.object({ absent: z.literal(true) }).strict(), z.object({ field: z.string(), equals: z.string() }).strict()]);
const entriesSchema = z.object({ field: z.string().min(1), keys: z.array(z.string()).min(1) }).strict();
const writeSchema = z
  .object({
    table: z.enum(STORE_TABLES),
    key: z.string(),
    value: z.unknown(),
    onlyIfExists: z.boolean().optional(),
    expect: expectSchema.optional(),
    onlyFields: z.array(z.string()).optional(),
    onlyEntries: entriesSchema.optional(),
  })
  .superRefine((w, ctx) => {
    const why = entryUpdateProblem(w);
    if (why !== null) ctx.addIssue({ code: 'custom', message: why, path: ['onlyEntries'] });
  });
const commandSchema = z.object({ id: z.string().min(1), batch: z.array(writeSchema) });
export type StoreCommand = { id: string; batch: StoreWrite[] };

const snapshotSchema = z.object({
  v: z.literal(1),
  rows: z.array(z.tuple([z.enum(STORE_TABLES), z.string(), z.unknown()])),
  ids: z.array(z.string()),
});

const storeTables: ReadonlySet<unknown> = new Set(STORE_TABLES);

/** What snapshotSchema accepts unchanged (each row exactly [table, key, value], no other field). */
function isSnapshotImage(v: unknown): v is z.infer<typeof snapshotSchema> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length !== 3 || o.v !== 1 || !Array.isArray(o.rows) || !Array.isArray(o.ids)) return false;
  for (const r of o.rows as unknown[]) {
    if (!Array.isArray(r) || r.length !== 3 || !storeTables.has(r[0]) || typeof r[1] !== 'string') return false;
  }
  for (const id of o.ids as unknown[]) if (typeof id !== 'string') return false;
  return true;
}

/**
 * A write as carried in a log entry: `value` null deletes, `onlyIfExists`, `onlyFields`,
 * `onlyEntries` and `expect` present only when set, in this field order (every member decodes the
 * same write from the same text).
 */
function wireWrite(w: {
  table: StoreTable;
  key: string;
  value?: unknown;
  onlyIfExists?: boolean | undefined;
  onlyFields?: readonly string[] | undefined;
  onlyEntries?: StoreWrite['onlyEntries'] | undefined;
  expect?: StoreWrite['expect'] | undefined;
}): StoreWrite {
  const out: { -readonly [K in keyof StoreWrite]: StoreWrite[K] } = { table: w.table, key: w.key, value: w.value ?? null };
  if (w.onlyIfExists) out.onlyIfExists = true;
  if (w.onlyFields) out.onlyFields = [...w.onlyFields];
  if (w.onlyEntries) out.onlyEntries = { field: w.onlyEntries.field, keys: [...w.onlyEntries.keys] };
  if (w.expect) out.expect = 'absent' in w.expect ? { absent: true } : { field: w.expect.field, equals: w.expect.equals };
  return out;
}

export function encodeCommand(c: StoreCommand): string {
  return JSON.stringify({ id: c.id, batch: c.batch.map(wireWrite) });
}

export function parseCommand(data: string): StoreCommand | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { error: 'raft entry is not JSON' };
  }
  const r = commandSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const at = i && i.path.length > 0 ? `${i.path.map(String).join('.')}: ` : '';
    return { error: `invalid raft entry: ${at}${i?.message ?? 'unknown'}` };
  }
  return { id: r.data.id, batch: r.data.batch.map(wireWrite) };
}

const rowId = (table: string, key: string): string => `${table}\u0000${key}`;

/** Why `cmd` cannot be applied as a whole (null: every write passes `check`). */
export function commandProblem(cmd: StoreCommand, check: WriteCheck): string | null {
  for (const w of cmd.batch) {
    const why = check(w);
    if (why !== null) return `${w.table} ${JSON.stringify(w.key)}: ${why}`;
  }
  return null;
}

/**
 * Bounds of one slice of `KvStateMachine.snapshotSliced`. JSON.stringify of instance rows runs at
 * about 130 M characters/s on the project's VM (bench/tools/compaction-pause.ts, docs/raft.md
 * "Compaction under load"): a slice of 512 Ki characters (~1,450 instance rows of ~360
 * characters) takes ~4 ms, short next to a write's latency, while 150,000 instances still take only
 * ~100 turns. The character bound keeps a slice of large rows (configurations) short; the row bound
 * one of many small rows (the per-row cost dominates there). Bounded by size rather than by a clock,
 * the slices are the same on every run (deterministic tests).
 */
export const SNAPSHOT_SLICE_ROWS = 2048;
export const SNAPSHOT_SLICE_CHARS = 512 * 1024;

/** How many recent rejections are remembered for the writers waiting on them. */
const REJECTIONS_KEPT = 1024;

export interface KvStats {
  applied: number;
  duplicates: number;
  rejected: number;
  /** Batches skipped because a `StoreWrite.expect` did not hold (an expected outcome, not an error). */
  conditionsFailed: number;
}

export class KvStateMachine implements RaftStateMachine {
  private readonly rows = new Map<string, { table: StoreTable; key: string; value: unknown }>();
  /** Recent request ids in apply order (bounded window). */
  private readonly ids: IdWindow;
  private readonly listeners: ApplyListener[] = [];
  /** Log index → why the entry there was skipped (recent ones; see `rejection`). */
  private readonly rejections = new Map<number, string>();
  readonly stats: KvStats = { applied: 0, duplicates: 0, rejected: 0, conditionsFailed: 0 };

  constructor(
    idWindow = 50_000,
    private readonly onError: (e: string, index: number) => void = () => undefined,
    /** The apply listeners' own parsing: a command with a write they cannot apply is skipped whole. */
    private readonly check: WriteCheck = () => null,
  ) {
    this.ids = new IdWindow(idWindow);
  }

  onApply(l: ApplyListener): void {
    this.listeners.push(l);
  }

  entries(): Iterable<{ table: StoreTable; key: string; value: unknown }> {
    return this.rows.values();
  }

  size(): number {
    return this.rows.size;
  }

  hasApplied(id: string): boolean {
    return this.ids.has(id);
  }

  /** Why the entry at `index` was skipped, if it was (recent entries only). */
  rejection(index: number): string | undefined {
    return this.rejections.get(index);
  }

  apply(entry: Entry): void {
    this.applyData(entry.index, entry.data);
  }

  /**
   * Applies one committed entry's data (also used to replay the log at open). Never throws: an entry
   * that cannot be applied — not a command, or holding a write the listeners cannot apply — is
   * skipped whole on every member alike (counted, logged, remembered for its writer), and leaves
   * every other key as it was.
   */
  applyData(index: number, data: string): void {
    const cmd = parseCommand(data);
    const problem = 'error' in cmd ? cmd.error : commandProblem(cmd, this.check);
    if (problem !== null) {
      this.stats.rejected++;
      this.rememberRejection(index, problem);
      this.onError(problem, index);
      return;
    }
    this.applyCommand(index, cmd as StoreCommand);
  }

  private rememberRejection(index: number, why: string): void {
    this.rejections.set(index, why);
    if (this.rejections.size > REJECTIONS_KEPT) this.rejections.delete(this.rejections.keys().next().value!);
  }

  /** Applies a command that passed `check` (unless a write's `expect` fails: then none of it). */
  private applyCommand(index: number, cmd: StoreCommand): void {
    if (this.ids.has(cmd.id)) {
      this.stats.duplicates++;
      return;
    }
    // Batch conditions: decided here, at apply time, so every member skips the same batches. The id
    // of a skipped command is not remembered: a re-proposed copy (a forward retried after a leader
    // change) is decided again on its own, never taken for a duplicate of a batch that applied.
    const unmet = unmetExpectation(cmd.batch, (t, k) => this.rows.get(rowId(t, k))?.value);
    if (unmet !== null) {
      this.stats.conditionsFailed++;
      this.rememberRejection(index, `${CONDITION_FAILED}${unmet}`);
      return;
    }
    this.ids.add(cmd.id);
    const applied: StoreWrite[] = [];
    for (const w of cmd.batch) {
      const id = rowId(w.table, w.key);
      // Conditional writes, field and entry updates: decided here, at apply time, so every member decides the same.
      const value = resolveWrite(w, this.rows.get(id)?.value);
      if (value === undefined) continue;
      if (value === null) this.rows.delete(id);
      else this.rows.set(id, { table: w.table, key: w.key, value });
      // Listeners see what the key now holds (a field or entry update's whole merged value).
      applied.push(appliedWrite(w, value));
    }
    this.stats.applied++;
    if (applied.length > 0) this.notify(applied);
  }

  snapshot(): string {
    const rows: [StoreTable, string, unknown][] = [];
    for (const r of this.rows.values()) rows.push([r.table, r.key, r.value]);
    return JSON.stringify({ v: 1, rows, ids: this.ids.list() });
  }

  /**
   * The image `snapshot()` returns at the moment of the call, built across event-loop turns
   * (docs/raft.md "Compaction under load"): the rows and ids are captured synchronously, then
   * serialized a slice at a time, awaiting `yieldTurn()` between slices (production: setImmediate,
   * injected by the Raft host). A slice ends after SNAPSHOT_SLICE_ROWS rows or once it has produced
   * SNAPSHOT_SLICE_CHARS characters, whichever is first. A rejection of `yieldTurn` aborts.
   *
   * The capture is an array of the row objects, not copies: correct only because neither a row
   * object nor its value is changed in place once stored, which holds (checked 2026-12):
   * - applyCommand stores a new row object for every put and deletes for a delete; a put's value
   *   is the write's own value, decoded from the entry by parseCommand for this apply alone;
   * - resolveWrite's field (`onlyFields`) and entry (`onlyEntries`) updates build a new top-level
   *   object (`{ ...current }`) and a new map (mergeEntries copies the held map), never writing
   *   into `current` (nested objects they do not touch are shared, and never written either);
   * - restore()/replace() build a new map of new row objects from a freshly parsed image and swap
   *   the map's contents: the old row objects are left as they were;
   * - the apply listeners get the stored values (appliedWrite, replace's batch, entries()):
   *   naming and auth copy them through zod schemas; the configuration center's holdOnce
   *   (src/config-center/config-state.ts) does assign `content` and `md5` of a stored value, but
   *   only a string equal to the one there (to share one copy), so the serialization is the same.
   * A new path that mutates a stored value in place must copy instead (or this capture must).
   */
  async snapshotSliced(yieldTurn: () => Promise<void>): Promise<string[]> {
    const rows = Array.from(this.rows.values());
    const ids = this.ids.list();
    // Each row as JSON.stringify writes it inside the rows array ([table, key, value]: the same
    // element serialization, no indentation), joined with ',' as the array is. The slices are
    // returned as they are (their concatenation is the image): a join into one flat string was a
    // single block of 140–240 ms at 150,000 rows on the project's VM (first touch of ~57 MB of
    // fresh memory; bench/tools/compaction-pause.ts), and the durable storage writes the slices a
    // piece per turn (docs/raft.md "Compaction under load"). Every slice ends after a whole row,
    // so none ends inside a surrogate pair (the storage copes if one did).
    const slices: string[] = ['{"v":1,"rows":['];
    const part: string[] = [];
    let i = 0;
    while (i < rows.length) {
      if (i > 0) await yieldTurn();
      part.length = 0;
      // A slice after the first starts with the ',' that separates it from the previous row.
      if (i > 0) part.push('');
      const end = Math.min(rows.length, i + SNAPSHOT_SLICE_ROWS);
      for (let chars = 0; i < end && chars < SNAPSHOT_SLICE_CHARS; i++) {
        const r = rows[i]!;
        const s = JSON.stringify([r.table, r.key, r.value]);
        part.push(s);
        chars += s.length;
      }
      slices.push(part.join(','));
    }
    if (rows.length > 0) await yieldTurn();
    slices.push(`],"ids":${JSON.stringify(ids)}}`);
    return slices;
  }

  /**
   * Replaces the state with a snapshot image and tells listeners the difference as one batch
   * (service records first so a persistent service's ephemerality is known before its instances;
   * deletions of services last).
   */
  restore(data: string): void {
    if (data === '') {
      this.replace([], []);
      return;
    }
    const image: unknown = JSON.parse(data);
    // The image comes from our own checksummed snapshot file: checked field by field (no copy of
    // every row, which zod's tuple parse made: start-up cost, issue 16); the schema only decides
    // (and says why) when that check fails.
    const parsed = isSnapshotImage(image) ? image : snapshotSchema.parse(image);
    this.replace(parsed.rows as [StoreTable, string, unknown][], parsed.ids);
  }

  private replace(rows: [StoreTable, string, unknown][], ids: string[]): void {
    const next = new Map<string, { table: StoreTable; key: string; value: unknown }>();
    for (const [table, key, value] of rows) next.set(rowId(table, key), { table, key, value });
    const puts: StoreWrite[] = [];
    const dels: StoreWrite[] = [];
    for (const [id, r] of next) {
      const old = this.rows.get(id);
      if (!old || JSON.stringify(old.value) !== JSON.stringify(r.value)) puts.push({ table: r.table, key: r.key, value: r.value });
    }
    for (const [id, r] of this.rows) if (!next.has(id)) dels.push({ table: r.table, key: r.key, value: null });
    this.rows.clear();
    for (const [id, r] of next) this.rows.set(id, r);
    this.ids.clear();
    for (const id of ids) this.ids.add(id);
    const svcFirst = (a: StoreWrite, b: StoreWrite): number => (a.table === 'service' ? 0 : 1) - (b.table === 'service' ? 0 : 1);
    const batch = [...puts.sort(svcFirst), ...dels.sort((a, b) => -svcFirst(a, b))];
    if (batch.length > 0) this.notify(batch);
  }

  private notify(batch: readonly StoreWrite[]): void {
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch (e) {
        // A listener bug must not stop this member applying the log (the host would stop taking part).
        this.onError(`apply listener failed: ${e instanceof Error ? e.message : String(e)}`, -1);
      }
    }
  }
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ApplyListener, PersistentStore, StoreTable, StoreWrite } from './persistent-store.js';

/**
 * Single-member PersistentStore on SQLite (WAL, synchronous=FULL: a committed transaction is on disk
 * before write() resolves, so a crash right after an acknowledged write loses nothing).
 */
export class SqliteStore implements PersistentStore {
  private db: Database.Database | null = null;
  private readonly listeners: ApplyListener[] = [];
  private upsert!: Database.Statement<[string, string, string]>;
  private del!: Database.Statement<[string, string]>;
  private update!: Database.Statement<[string, string, string]>;

  constructor(private readonly dataDir: string) {}

  async open(): Promise<void> {
    const dir = join(this.dataDir, 'persistent');
    mkdirSync(dir, { recursive: true });
    const db = new Database(join(dir, 'naming.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE IF NOT EXISTS kv (tbl TEXT NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY (tbl, k)) WITHOUT ROWID');
    this.upsert = db.prepare('INSERT INTO kv (tbl, k, v) VALUES (?, ?, ?) ON CONFLICT (tbl, k) DO UPDATE SET v = excluded.v');
    this.del = db.prepare('DELETE FROM kv WHERE tbl = ? AND k = ?');
    this.update = db.prepare('UPDATE kv SET v = ? WHERE tbl = ? AND k = ?');
    this.db = db;
  }

  *entries(): Iterable<{ table: StoreTable; key: string; value: unknown }> {
    const db = this.requireDb();
    for (const row of db.prepare('SELECT tbl, k, v FROM kv ORDER BY tbl, k').iterate() as Iterable<{ tbl: string; k: string; v: string }>) {
      yield { table: row.tbl as StoreTable, key: row.k, value: JSON.parse(row.v) as unknown };
    }
  }

  async write(batch: readonly StoreWrite[]): Promise<void> {
    const db = this.requireDb();
    const tx = db.transaction((b: readonly StoreWrite[]): readonly StoreWrite[] => {
      const applied: StoreWrite[] = [];
      for (const w of b) {
        if (w.onlyIfExists) {
          const absent = w.value === null || w.value === undefined
            ? this.del.run(w.table, w.key).changes === 0
            : this.update.run(JSON.stringify(w.value), w.table, w.key).changes === 0;
          if (absent) continue;
        } else if (w.value === null || w.value === undefined) this.del.run(w.table, w.key);
        else this.upsert.run(w.table, w.key, JSON.stringify(w.value));
        applied.push(w);
      }
      return applied.length === b.length ? b : applied;
    });
    const applied = tx(batch);
    if (applied.length === 0) return;
    for (const l of this.listeners) l(applied);
  }

  onApply(listener: ApplyListener): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }

  private requireDb(): Database.Database {
    if (!this.db) throw new Error('persistent store is not open');
    return this.db;
  }
}

/** In-memory store for unit tests. */
export class MemoryStore implements PersistentStore {
  private readonly data = new Map<string, { table: StoreTable; key: string; value: unknown }>();
  private readonly listeners: ApplyListener[] = [];
  async open(): Promise<void> {}
  entries(): Iterable<{ table: StoreTable; key: string; value: unknown }> {
    return [...this.data.values()];
  }
  async write(batch: readonly StoreWrite[]): Promise<void> {
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

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../src/persistence/sqlite-store.js';

test('writes are atomic batches, survive reopen, and deletes remove keys', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomen-store-'));
  const a = new SqliteStore(dir);
  await a.open();
  const applied: number[] = [];
  a.onApply((b) => applied.push(b.length));
  await a.write([
    { table: 'instance', key: 'k1', value: { ip: '127.0.0.1' } },
    { table: 'service', key: 's1', value: { protectThreshold: 0.5 } },
  ]);
  await a.write([{ table: 'instance', key: 'k1', value: null }]);
  assert.deepEqual(applied, [2, 1]);
  await a.close();
  const b = new SqliteStore(dir);
  await b.open();
  assert.deepEqual([...b.entries()], [{ table: 'service', key: 's1', value: { protectThreshold: 0.5 } }]);
  await b.close();
});

test('conditional writes (onlyIfExists) apply only to existing keys, and skipped ones reach no listener', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomen-store-'));
  const s = new SqliteStore(dir);
  await s.open();
  const applied: string[][] = [];
  s.onApply((b) => applied.push(b.map((w) => `${w.key}=${JSON.stringify(w.value)}`)));
  await s.write([{ table: 'instance', key: 'live', value: { healthy: true } }]);
  await s.write([
    { table: 'instance', key: 'live', value: { healthy: false }, onlyIfExists: true },
    { table: 'instance', key: 'gone', value: { healthy: false }, onlyIfExists: true },
  ]);
  await s.write([{ table: 'instance', key: 'gone', value: null, onlyIfExists: true }]);
  assert.deepEqual(applied, [['live={"healthy":true}'], ['live={"healthy":false}']]);
  assert.deepEqual([...s.entries()], [{ table: 'instance', key: 'live', value: { healthy: false } }]);
  await s.close();
});

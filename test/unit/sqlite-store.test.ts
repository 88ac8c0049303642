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

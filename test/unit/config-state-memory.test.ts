/**
 * Content held once (docs/config-center.md "Memory"): a config and its newest history row with the
 * same content, read from separate JSON parses (a restart's image, a log entry), end up holding one
 * string, in the index and in the store's rows; what the index answers is unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { configRowKey, contentMd5 } from '../../src/config-center/config-keys.js';
import { ConfigState } from '../../src/config-center/config-state.js';
import type { StoreWrite } from '../../src/persistence/persistent-store.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const KEYS = 200;
const BYTES = 20_000;

function rowsOf(i: number, content: string) {
  const key = { tenant: 'public', group: 'DEFAULT_GROUP', dataId: `mem.${i}` };
  const md5 = contentMd5(content);
  const t = 1_700_000_000_000 + i;
  const config = {
    ...key, id: String(i + 1), content, md5, type: 'text', appName: '', desc: '', use: '', effect: '', schema: '', configTags: [],
    encryptedDataKey: '', createTime: t, modifyTime: t, createUser: 'nacos', createIp: '127.0.0.1', srcUser: 'nacos', srcIp: '127.0.0.1',
  };
  const history = {
    ...key, id: String(i + 1), configId: String(i + 1), content, md5, appName: '', encryptedDataKey: '', opType: 'I', publishType: 'formal',
    grayName: '', extInfo: '', srcUser: 'nacos', srcIp: '127.0.0.1', createTime: t, modifyTime: t,
  };
  return [
    { table: 'configHistory', key: history.id, value: history },
    { table: 'config', key: configRowKey(key), value: config },
  ];
}

/** Every key's content, distinct per key (no two keys could share). */
const contentOf = (i: number) => `${String(i).padStart(6, '0')}${'x'.repeat(BYTES - 6)}`;

/** The store's rows as a restart reads them: one JSON image, parsed (every string a separate copy). */
function image(order: 'history-first' | 'config-first'): string {
  const rows = [];
  for (let i = 0; i < KEYS; i++) {
    const [h, c] = rowsOf(i, contentOf(i));
    rows.push(...(order === 'history-first' ? [h, c] : [c, h]));
  }
  return JSON.stringify(rows);
}

/** Heap growth of parsing the image and loading it into a state (both kept), after full GCs. */
function loadedBytes(text: string): { bytes: number; state: ConfigState; rows: Pick<StoreWrite, 'table' | 'key' | 'value'>[] } {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const rows = JSON.parse(text) as Pick<StoreWrite, 'table' | 'key' | 'value'>[];
  const state = new ConfigState();
  state.load(rows);
  gc();
  gc();
  return { bytes: process.memoryUsage().heapUsed - before, state, rows };
}

describe('config content held once', () => {
  for (const order of ['history-first', 'config-first'] as const) {
    it(`a config and its I row hold one content string (${order} at load)`, () => {
      const text = image(order);
      const { bytes, state, rows } = loadedBytes(text);
      const once = KEYS * BYTES;
      // Two copies would be ≥ 2 × once; one copy plus the row objects stays well under 1.5 ×.
      assert.ok(bytes < 1.5 * once, `heap grew by ${bytes} B for ${once} B of content`);
      // Nothing a reader sees changed: the index and the store's rows answer the same values.
      for (let i = 0; i < KEYS; i += 37) {
        const key = { tenant: 'public', group: 'DEFAULT_GROUP', dataId: `mem.${i}` };
        assert.equal(state.record(key)?.content, contentOf(i));
        assert.equal(state.record(key)?.md5, contentMd5(contentOf(i)));
        assert.equal(state.historyEntry(i + 1)?.content, contentOf(i));
      }
      assert.equal(JSON.stringify(rows), text);
    });
  }

  it('a live publish and an update (I and U rows of one content) answer what was written', () => {
    const state = new ConfigState();
    const apply = (w: object[]) => state.apply(JSON.parse(JSON.stringify(w)) as StoreWrite[]);
    const [h1, c1] = rowsOf(0, 'v1');
    apply([c1!, h1!]);
    const [, c2] = rowsOf(0, 'v2');
    const [u] = rowsOf(0, 'v1');
    apply([c2!, { ...u!, key: '2', value: { ...u!.value, id: '2', opType: 'U' } }]);
    const key = { tenant: 'public', group: 'DEFAULT_GROUP', dataId: 'mem.0' };
    assert.equal(state.record(key)?.content, 'v2');
    assert.deepEqual(state.historyIds(key), [1, 2]);
    assert.equal(state.historyEntry(1)?.content, 'v1');
    assert.equal(state.historyEntry(2)?.content, 'v1');
    assert.equal(state.historyEntry(2)?.opType, 'U');
  });
});

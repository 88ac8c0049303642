/**
 * The config rows' fast field checks (src/config-center/config-rows.ts) and the snapshot image's
 * (src/persistence/kv-state-machine.ts), used at start-up instead of zod: a row they accept is
 * used as it is, everything else still goes through the schema, so a corrupt row is still refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkConfigWrite, ConfigRow, decodeConfigWrite, GrayRow, HistoryRow } from '../../src/config-center/config-rows.js';
import { configRowKey, grayRowKey } from '../../src/config-center/config-keys.js';
import { ConfigState } from '../../src/config-center/config-state.js';
import { KvStateMachine } from '../../src/persistence/kv-state-machine.js';

const key = { tenant: 'public', group: 'DEFAULT_GROUP', dataId: 'app.yaml' };
const config = {
  ...key, id: '12', content: 'a: 1', md5: 'abc', type: 'yaml', appName: '', desc: '', use: '', effect: '', schema: '',
  configTags: ['x'], encryptedDataKey: '', createTime: 1, modifyTime: 2, createUser: 'u', createIp: '1.2.3.4', srcUser: 'u', srcIp: '1.2.3.4',
};
const gray = {
  ...key, grayName: 'beta', rule: { type: 'beta', version: '1.0.0', expr: '1.2.3.4', priority: 0 }, content: 'a: 2', md5: 'def',
  encryptedDataKey: '', appName: '', srcUser: 'u', srcIp: '1.2.3.4', createTime: 1, modifyTime: 2,
};
const history = {
  ...key, id: '13', configId: '12', content: 'a: 1', md5: 'abc', appName: '', encryptedDataKey: '', opType: 'I', publishType: 'formal',
  grayName: '', extInfo: '', srcUser: 'u', srcIp: '1.2.3.4', createTime: 1, modifyTime: 2,
};
const cases = [
  { table: 'config' as const, value: config, key: configRowKey(config), schema: ConfigRow },
  { table: 'configGray' as const, value: gray, key: grayRowKey(gray, gray.grayName), schema: GrayRow },
  { table: 'configHistory' as const, value: history, key: history.id, schema: HistoryRow },
];

/** Every field replaced by wrong values, removed, and one field added. */
function variants(row: Record<string, unknown>): Record<string, unknown>[] {
  const bad: unknown[] = ['', 'x', -1, 1.5, 2 ** 60, null, [], {}, ['x', 1], true];
  const out: Record<string, unknown>[] = [];
  for (const k of Object.keys(row)) {
    for (const b of bad) out.push({ ...row, [k]: b });
    const { [k]: _, ...rest } = row;
    out.push(rest);
  }
  const rule = row.rule as Record<string, unknown> | undefined;
  if (rule) for (const k of Object.keys(rule)) for (const b of bad) out.push({ ...row, rule: { ...rule, [k]: b } });
  if (rule) out.push({ ...row, rule: { ...rule, extra: 1 } });
  out.push({ ...row, extra: 'field' });
  return out;
}

test('a valid stored config row is used as it is (no zod copy)', () => {
  for (const c of cases) {
    const d = decodeConfigWrite({ table: c.table, key: c.key, value: c.value });
    assert.equal(d?.row, c.value, c.table);
  }
});

test('the fast checks accept and refuse exactly what the schemas do (a corrupt row is still refused)', () => {
  let refused = 0;
  for (const c of cases) {
    for (const v of variants(c.value)) {
      const zodOk = c.schema.safeParse(v).success;
      // Keep the row key consistent so only the row's shape decides.
      const why = checkConfigWrite({ table: c.table, key: c.key, value: v });
      if (zodOk && why === null) {
        // Accepted: what the state gets equals the schema's output (unknown fields dropped).
        assert.deepEqual(decodeConfigWrite({ table: c.table, key: c.key, value: v })?.row, c.schema.parse(v));
      } else if (!zodOk) {
        assert.notEqual(why, null, `${c.table} ${JSON.stringify(v)}`);
        refused++;
      } else {
        // zod accepts but the key no longer matches the row (a key field changed): refused for that.
        assert.match(why!, /key/);
      }
    }
  }
  assert.ok(refused > 100);
});

test('ConfigState.load at start skips a corrupt stored row and loads the rest', () => {
  const errors: string[] = [];
  const state = new ConfigState({ error: (_o, m) => errors.push(m) });
  const other = { ...config, dataId: 'other', id: '14' };
  state.load([
    { table: 'config', key: configRowKey(config), value: { ...config, createTime: 'yesterday' } },
    { table: 'config', key: configRowKey(other), value: other },
  ]);
  assert.equal(state.size(), 1);
  assert.equal(state.record(key), null);
  assert.equal(state.record(other)?.content, 'a: 1');
  assert.deepEqual(errors, ['config row cannot be applied']);
});

test('snapshot restore: a well-formed image is restored, a corrupt one refused', () => {
  const kv = new KvStateMachine();
  const rows = [['config', configRowKey(config), config]];
  kv.restore(JSON.stringify({ v: 1, rows, ids: ['a'] }));
  assert.equal(kv.size(), 1);
  assert.ok(kv.hasApplied('a'));
  for (const bad of [{ v: 2, rows, ids: [] }, { v: 1, rows: [['nope', 'k', 1]], ids: [] }, { v: 1, rows: [['config', 5, 1]], ids: [] }, { v: 1, rows, ids: [7] }, { v: 1, rows: [['config', 'k']], ids: [] }]) {
    assert.throws(() => new KvStateMachine().restore(JSON.stringify(bad)), JSON.stringify(bad));
  }
});

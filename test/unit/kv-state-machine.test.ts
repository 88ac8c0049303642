/**
 * The Raft state machine's entry update (`StoreWrite.onlyEntries`, docs/architecture.md "Persistent
 * state"): applied on the record as it is at apply time, refused whole when malformed, and log
 * entries written without it apply as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeCommand, KvStateMachine, parseCommand } from '../../src/persistence/kv-state-machine.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';
import type { StoreWrite } from '../../src/persistence/persistent-store.js';

const KEY = 'public@@DEFAULT_GROUP@@orders';
const cl = (port: number) => ({ healthChecker: { type: 'NONE' }, checkPort: port, useInstancePort4Check: false, metadata: {} });
const record = (clusters?: Record<string, unknown>) => ({ ephemeral: false, protectThreshold: 0, metadata: { v: '1' }, ...(clusters && { clusters }) });
/** A cluster update as NamingService.updateCluster builds it: the whole record from the writer's copy. */
const clusterWrite = (copy: Record<string, unknown>, keys: string[]): StoreWrite => ({
  table: 'service',
  key: KEY,
  value: record(copy),
  onlyFields: ['clusters'],
  onlyEntries: { field: 'clusters', keys },
});

function machine() {
  const errors: string[] = [];
  const sm = new KvStateMachine(100, (e) => errors.push(e));
  const seen: StoreWrite[][] = [];
  sm.onApply((b) => seen.push([...b]));
  let index = 0;
  const apply = (batch: StoreWrite[], id = `r${index + 1}`): number => {
    sm.applyData(++index, encodeCommand({ id, batch }));
    return index;
  };
  const applyRaw = (data: string): number => {
    sm.applyData(++index, data);
    return index;
  };
  const value = (): unknown => [...sm.entries()].find((r) => r.key === KEY)?.value;
  return { sm, errors, seen, apply, applyRaw, value };
}

test('an entry update of an absent record creates nothing (like a field update)', () => {
  const m = machine();
  m.apply([clusterWrite({ a: cl(81) }, ['a'])]);
  assert.equal(m.value(), undefined);
  assert.equal(m.sm.stats.applied, 1);
  assert.deepEqual(m.seen, [], 'listeners hear of no write');
});

test('an entry update of a record without the map gives it the map with those entries', () => {
  const m = machine();
  m.apply([{ table: 'service', key: KEY, value: record() }]);
  m.apply([clusterWrite({ a: cl(81), stale: cl(1) }, ['a'])]);
  assert.deepEqual(m.value(), record({ a: cl(81) }));
  assert.deepEqual(m.seen.at(-1), [{ table: 'service', key: KEY, value: record({ a: cl(81) }) }], 'listeners see the merged record');
});

test('an entry update of an existing map sets only its keys, from a copy that lags the log', () => {
  const m = machine();
  m.apply([{ table: 'service', key: KEY, value: record({ keep: cl(1) }) }]);
  // Two writers whose copies both hold only `keep`.
  m.apply([clusterWrite({ keep: cl(1), a: cl(81) }, ['a'])]);
  m.apply([clusterWrite({ keep: cl(1), b: cl(82) }, ['b'])]);
  // The other fields are the writer's: `onlyFields` still names them.
  m.apply([{ ...clusterWrite({ keep: cl(2) }, ['keep']), value: { ...record({ keep: cl(2) }), metadata: { v: '2' } }, onlyFields: ['clusters', 'metadata'] }]);
  assert.deepEqual(m.value(), { ...record({ keep: cl(2), a: cl(81), b: cl(82) }), metadata: { v: '2' } });
  assert.equal(m.sm.stats.rejected, 0);
});

test('a listed key the value lacks is removed from the map; unlisted ones stay', () => {
  const m = machine();
  m.apply([{ table: 'service', key: KEY, value: record({ a: cl(81), b: cl(82) }) }]);
  m.apply([clusterWrite({ b: cl(99) }, ['a', 'gone'])]);
  assert.deepEqual(m.value(), record({ b: cl(82) }));
});

test('an entry named __proto__ is an ordinary entry (cluster names allow it)', () => {
  const m = machine();
  m.apply([{ table: 'service', key: KEY, value: record({ a: cl(81) }) }]);
  m.applyRaw(`{"id":"p","batch":[{"table":"service","key":${JSON.stringify(KEY)},"value":{"ephemeral":false,"protectThreshold":0,"metadata":{},"clusters":{"__proto__":{"checkPort":7}}},"onlyFields":["clusters"],"onlyEntries":{"field":"clusters","keys":["__proto__"]}}]}`);
  const clusters = (m.value() as { clusters: Record<string, unknown> }).clusters;
  assert.ok(Object.hasOwn(clusters, '__proto__'));
  assert.equal(Object.getPrototypeOf(clusters), Object.prototype);
  assert.equal(JSON.stringify(clusters), '{"a":' + JSON.stringify(cl(81)) + ',"__proto__":{"checkPort":7}}');
});

test('a malformed entry update is refused whole, with a reason, and changes nothing', () => {
  const m = machine();
  const base = record({ a: cl(81) });
  m.apply([{ table: 'service', key: KEY, value: base }]);
  const w = clusterWrite({ a: cl(1) }, ['a']);
  const bad: [StoreWrite | Record<string, unknown>, RegExp][] = [
    [{ ...w, onlyFields: undefined }, /onlyEntries: field "clusters" must also be listed in onlyFields/],
    [{ ...w, onlyFields: ['metadata'] }, /must also be listed in onlyFields/],
    [{ ...w, value: { ...base, clusters: [] } }, /field "clusters" must be an object/],
    [{ ...w, value: null }, /must be an object/],
    [{ ...w, onlyEntries: { field: 'clusters', keys: [] } }, /onlyEntries\.keys/],
    [{ ...w, onlyEntries: { field: '', keys: ['a'] } }, /onlyEntries\.field/],
    [{ ...w, onlyEntries: { field: 'clusters', keys: [1] } }, /onlyEntries\.keys\.0/],
    [{ ...w, onlyEntries: { field: 'clusters', keys: ['a'], extra: 1 } }, /onlyEntries/],
  ];
  for (const [write, why] of bad) {
    // Raw text, as a leader of another version or a crafted forward could put it in the log.
    const at = m.applyRaw(JSON.stringify({ id: `bad-${String(why)}`, batch: [{ table: 'instance', key: 'other', value: { n: 1 } }, write] }));
    assert.match(m.sm.rejection(at) ?? '', why);
    assert.match(m.sm.rejection(at) ?? '', /^invalid raft entry: /);
  }
  assert.equal(m.sm.stats.rejected, bad.length);
  assert.deepEqual(m.value(), base);
  assert.equal([...m.sm.entries()].length, 1, 'the batch mates were not applied either');
});

test('log entries without the entry update apply exactly as before (a field update replaces the whole map)', () => {
  const m = machine();
  // Texts as the previous version wrote them (no onlyEntries attribute).
  m.applyRaw(`{"id":"o1","batch":[{"table":"service","key":${JSON.stringify(KEY)},"value":${JSON.stringify(record({ a: cl(81), b: cl(82) }))}}]}`);
  m.applyRaw(`{"id":"o2","batch":[{"table":"service","key":${JSON.stringify(KEY)},"value":${JSON.stringify({ ...record({ c: cl(83) }), metadata: { v: 'x' } })},"onlyFields":["clusters"]}]}`);
  assert.deepEqual(m.value(), record({ c: cl(83) }));
  m.applyRaw(`{"id":"o3","batch":[{"table":"instance","key":"i","value":{"healthy":true}},{"table":"instance","key":"j","value":{"healthy":false},"onlyIfExists":true}]}`);
  assert.deepEqual(
    [...m.sm.entries()].map((r) => r.key),
    [KEY, 'i'],
  );
  assert.equal(m.sm.stats.rejected, 0);
});

test('the wire form: encode then parse gives the same write on every member, attributes in a fixed order', () => {
  const w = clusterWrite({ a: cl(81) }, ['a', 'b']);
  const text = encodeCommand({ id: 'x', batch: [w] });
  assert.deepEqual(parseCommand(text), { id: 'x', batch: [w] });
  // A member that receives the attributes in another order writes the same text again.
  const shuffled = JSON.stringify({ batch: [{ onlyEntries: { keys: ['a', 'b'], field: 'clusters' }, onlyFields: ['clusters'], value: w.value, key: KEY, table: 'service' }], id: 'x' });
  const parsed = parseCommand(shuffled);
  assert.ok(!('error' in parsed));
  assert.equal(encodeCommand(parsed), text);
  assert.ok(text.includes('"onlyFields":["clusters"],"onlyEntries":{"field":"clusters","keys":["a","b"]}'));
  // Without the attribute the text is what the previous version wrote.
  assert.equal(encodeCommand({ id: 'y', batch: [{ table: 'instance', key: 'k', value: 1, onlyFields: ['healthy'] }] }), '{"id":"y","batch":[{"table":"instance","key":"k","value":1,"onlyFields":["healthy"]}]}');
});

test('the in-memory store applies and refuses entry updates the same way', async () => {
  const s = new MemoryStore();
  await s.write([{ table: 'service', key: KEY, value: record({ keep: cl(1) }) }]);
  await s.write([clusterWrite({ a: cl(81) }, ['a'])]);
  await s.write([clusterWrite({ b: cl(82) }, ['b'])]);
  assert.deepEqual([...s.entries()][0]?.value, record({ keep: cl(1), a: cl(81), b: cl(82) }));
  await assert.rejects(s.write([{ ...clusterWrite({}, ['a']), onlyFields: ['metadata'] }]), /must also be listed in onlyFields/);
});

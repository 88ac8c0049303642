import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SnapshotResponse } from '../../src/distro/messages.js';
import { TestCluster, inst, svc } from './distro-fixture.js';

const A = '10.0.0.1:8848';
const B = '10.0.0.2:8848';

test('snapshot chunks: a cursor walk returns every client and deletion exactly once, any chunk size', () => {
  const c = new TestCluster([A, B]);
  const a = c.node(A);
  for (let i = 0; i < 40; i++) a.registry.publish(`c${String(i).padStart(2, '0')}`, 'connection', svc(), [inst(`10.1.0.${i}`)], c.clock.now());
  a.registry.removeClient('c07', c.clock.now());
  for (const max of [1, 300, 2000, 1 << 20]) {
    const ids: string[] = [];
    let cursor: string | null = null;
    let chunks = 0;
    do {
      const r = a.distro.handle({ type: 'snapshot', from: B, cursor, maxBytes: max }) as SnapshotResponse;
      assert.equal(r.type, 'snapshot-chunk');
      chunks++;
      for (const e of r.entries) ids.push(e.op === 'change' ? e.data.clientId : `-${e.clientId}`);
      cursor = r.next;
    } while (cursor !== null);
    assert.equal(ids.length, 40, `max ${max}`);
    assert.equal(new Set(ids).size, 40);
    assert.ok(ids.includes('-c07'));
    if (max === 1) assert.equal(chunks, 40);
  }
});

test('what may be sent: only current state of clients this member is responsible for, or its own deletions', () => {
  const c = new TestCluster([A, B]);
  const a = c.node(A);
  const st = a.distro.storage;
  a.registry.publish('mine', 'connection', svc(), [inst('10.1.0.1')], 1);
  assert.equal(st.outgoingEntry('mine')?.op, 'change');
  a.distro.handle({ type: 'sync', from: B, entries: [{ op: 'change', data: { clientId: 'theirs', kind: 'connection', revision: 5, publishes: [] }, writer: B }] });
  assert.equal(st.outgoingEntry('theirs'), undefined, 'a replica is never echoed');
  a.registry.removeClient('mine', 2);
  const d = st.outgoingEntry('mine');
  assert.equal(d?.op, 'delete');
  assert.equal(st.tombstone('mine')!.mine, true);
  assert.equal(st.outgoingEntry('unknown'), undefined);
});

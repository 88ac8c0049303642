import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClientSyncData } from '../../src/core/client.js';
import { bucketDigests } from '../../src/distro/digest.js';
import type { ChangeEntry, SyncEntry, VerifyDigestResponse, VerifyListResponse, SyncResponse } from '../../src/distro/messages.js';
import { TestCluster, inst, svc } from './distro-fixture.js';

const A = '10.0.0.1:8848';
const B = '10.0.0.2:8848';

function setup(mutations = {}) {
  const c = new TestCluster([A, B], {}, mutations);
  const b = c.node(B);
  const events: string[] = [];
  b.registry.onClientChanged((cl, removed, origin) => events.push(`${cl.id}:${removed ? 'removed' : 'changed'}:${origin}`));
  return { c, b, events };
}

const data = (clientId: string, revision: number, ip = '10.1.0.1'): ClientSyncData => ({
  clientId,
  kind: clientId.includes('#') ? 'ephemeral-ipport' : 'connection',
  revision,
  publishes: [{ service: svc(), instances: [inst(ip)] }],
});
const change = (id: string, v: number, writer = A, ip?: string): ChangeEntry => ({ op: 'change', data: data(id, v, ip), writer });
const del = (id: string, v: number, writer = A): SyncEntry => ({ op: 'delete', clientId: id, version: v, writer });
const sync = (b: ReturnType<typeof setup>['b'], entries: SyncEntry[], from = A) => b.distro.handle({ type: 'sync', from, entries }) as SyncResponse;

test('version rule: newer applies, equal is a no-op (idempotent apply, docs/protocol/distro.md §9.20), older is answered with ours', () => {
  const { b, events } = setup();
  sync(b, [change('c1', 100)]);
  assert.equal(b.registry.getClient('c1')!.revision, 100);
  assert.equal(events.length, 1);
  const again = sync(b, [change('c1', 100)]);
  assert.deepEqual(again, { type: 'sync-ack', newer: [], failed: [] });
  assert.equal(events.length, 1, 'a duplicate raises no event');
  sync(b, [change('c1', 200, A, '10.1.0.2')]);
  assert.equal(b.registry.getClient('c1')!.revision, 200);
  const stale = sync(b, [change('c1', 150, A, '10.1.0.9')]);
  assert.equal(stale.newer.length, 1);
  assert.equal((stale.newer[0] as ChangeEntry).data.revision, 200);
  assert.equal(b.registry.getClient('c1')!.publishes.values().next().value!.instances[0]!.ip, '10.1.0.2');
  assert.equal(b.registry.getClient('c1')!.revision, 200, 'the older state did not win');
});

test('a DELETE leaves a tombstone: a late CHANGE does not resurrect the client (docs/protocol/distro.md §8.B3-4)', () => {
  const { b } = setup();
  sync(b, [change('c1', 100)]);
  sync(b, [del('c1', 300)]);
  assert.equal(b.registry.getClient('c1'), undefined);
  const late = sync(b, [change('c1', 200)]);
  assert.equal(b.registry.getClient('c1'), undefined);
  assert.deepEqual(late.newer, [{ op: 'delete', clientId: 'c1', version: 300, writer: A }]);
  // Delete before change (reordered): the change behind it is dropped too.
  sync(b, [del('c2', 500), change('c2', 400)]);
  assert.equal(b.registry.getClient('c2'), undefined);
  // A later state (re-registration) does apply.
  sync(b, [change('c1', 301)]);
  assert.equal(b.registry.getClient('c1')!.revision, 301);
});

test('ties between concurrent owners break on the writer address', () => {
  const { b } = setup();
  sync(b, [change('10.9.0.1:80#true', 100, '10.0.0.7:8848')]);
  sync(b, [change('10.9.0.1:80#true', 100, '10.0.0.3:8848', '10.9.9.9')]);
  assert.equal(b.distro.storage.metaOf('10.9.0.1:80#true')!.writer, '10.0.0.7:8848');
  sync(b, [change('10.9.0.1:80#true', 100, '10.0.0.8:8848', '10.9.9.8')]);
  assert.equal(b.distro.storage.metaOf('10.9.0.1:80#true')!.writer, '10.0.0.8:8848');
});

test('a bad entry is reported as failed (sender retries), never acknowledged; a malformed request is an error', () => {
  const { b } = setup();
  const r = sync(b, [{ op: 'change', data: { ...data('c1', 5), kind: 'ephemeral-ipport' }, writer: A }, change('c2', 5), change('1.1.1.1:1#false', 5)]);
  assert.deepEqual(r.failed, ['c1', '1.1.1.1:1#false']);
  assert.ok(b.registry.getClient('c2'));
  assert.equal(b.distro.handle({ type: 'sync', from: A, entries: null as unknown as SyncEntry[] }).type, 'error');
  assert.equal(b.distro.handle({ type: 'nope', from: A } as never).type, 'error');
  assert.equal(b.distro.handle({ type: 'sync', from: B, entries: [] }).type, 'error', 'from self');
});

test('a connection this member holds natively is never overwritten from outside (docs/protocol/distro.md §2.3)', () => {
  const { b } = setup();
  b.registry.publish('mine', 'connection', svc(), [inst('10.3.0.1')], 1);
  const v = b.registry.getClient('mine')!.revision;
  sync(b, [change('mine', v + 1000), del('mine', v + 2000)]);
  assert.equal(b.registry.getClient('mine')!.revision, v);
});

test('digest verify: matching buckets renew leases; mismatches are reported per bucket', () => {
  const { c, b } = setup();
  sync(b, [change('c1', 100), change('c2', 100), change('c3', 100)]);
  c.clock.advance(10_000);
  const items = [
    { id: 'c1', stamp: { version: 100, writer: A } },
    { id: 'c2', stamp: { version: 100, writer: A } },
    { id: 'c3', stamp: { version: 999, writer: A } },
  ];
  const digests = [...bucketDigests(items, 256)].map(([k, [n, d]]) => [k, n, d] as [number, number, number]);
  const r = b.distro.handle({ type: 'verify-digest', from: A, asOf: 1, buckets: 256, digests }) as VerifyDigestResponse;
  assert.equal(r.mismatched.length, 1);
  const now = c.clock.now();
  assert.equal(b.distro.storage.metaOf('c1')!.lastRenewed, now);
  assert.notEqual(b.distro.storage.metaOf('c3')!.lastRenewed, now);
  // Replicas recorded as another member's are not compared.
  const other = b.distro.handle({ type: 'verify-digest', from: '10.0.0.3:8848', asOf: 1, buckets: 256, digests: [] }) as VerifyDigestResponse;
  assert.deepEqual(other.mismatched, []);
});

test('list verify: need, newer, renew; asOf removes only the sender\'s connection replicas; ip-port ones are extra', () => {
  const { c, b } = setup();
  sync(b, [change('c1', 100), change('c2', 100), change('old', 50), change('10.5.0.2:80#true', 60), del('gone', 70)]);
  c.clock.advance(1000);
  const r = b.distro.handle({
    type: 'verify-list',
    from: A,
    asOf: 1000,
    buckets: null,
    scope: null,
    clients: [['c1', 100], ['c2', 90], ['c4', 100], ['gone', 10]],
  }) as VerifyListResponse;
  assert.deepEqual(r.need, ['c4']);
  assert.deepEqual(r.newer.map((e) => (e.op === 'change' ? `${e.data.clientId}@${e.data.revision}` : `-${e.clientId}@${e.version}`)), ['c2@100', '-gone@70']);
  assert.deepEqual(r.extra, ['10.5.0.2:80#true']);
  assert.equal(b.registry.getClient('old'), undefined, 'connection replica absent from the owner list, older than asOf: removed');
  assert.ok(b.registry.getClient('10.5.0.2:80#true'), 'ip-port replicas rely on the lease');
  assert.equal(b.distro.storage.metaOf('c1')!.lastRenewed, c.clock.now());
  // A client created after asOf is not removed.
  sync(b, [change('new', 5000)]);
  b.distro.handle({ type: 'verify-list', from: A, asOf: 2000, buckets: null, scope: null, clients: [] });
  assert.ok(b.registry.getClient('new'));
});

test('verify with versions ignored (mutation) treats any held state as matching', () => {
  const { b } = setup({ verifyIgnoresVersion: true });
  sync(b, [change('c1', 100)]);
  const r = b.distro.handle({ type: 'verify-list', from: A, asOf: 1, buckets: null, scope: null, clients: [['c1', 500]] }) as VerifyListResponse;
  assert.deepEqual(r.need, []);
});

test('apply ignoring versions (mutation) lets an older state win', () => {
  const { b } = setup({ ignoreVersionOnApply: true });
  sync(b, [change('c1', 200)]);
  sync(b, [change('c1', 100)]);
  assert.equal(b.registry.getClient('c1')!.revision, 100);
});

test('the sender named in a request must be the member the transport authenticated', () => {
  const { b } = setup();
  assert.equal(b.distro.handle({ type: 'sync', from: A, entries: [] }, '10.0.0.66:8848').type, 'error');
  assert.equal(b.distro.handle({ type: 'sync', from: A, entries: [] }, A).type, 'sync-ack');
});

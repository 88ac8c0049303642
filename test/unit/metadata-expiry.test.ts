import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceKey } from '../../src/core/names.js';
import { ExpiredMetadataCleaner } from '../../src/naming/expiry.js';
import { silentLogger } from '../../src/observability/logger.js';
import { namingFixture } from './helpers/naming-fixture.js';

const svc: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'meta' };
const override = { weight: 7, enabled: true, metadata: { owner: 'ops' } };

function setup(responsible: (clientId: string) => boolean = () => true) {
  const f = namingFixture();
  const asked: string[] = [];
  const cleaner = new ExpiredMetadataCleaner(f.registry, f.metadata, f.store, f.clock, silentLogger(), { intervalMs: 5000, expiredMs: 60_000 }, (id) => {
    asked.push(id);
    return responsible(id);
  });
  const overrideOf = (ip: string, port: number) => f.metadata.getInstance(svc, `${ip}:${port}:DEFAULT`);
  const storedMeta = () => [...f.store.entries()].filter((e) => e.table === 'instanceMeta').map((e) => e.key);
  return { f, cleaner, asked, overrideOf, storedMeta };
}

test('overrides of a vanished instance are deleted through the store after 60 s, not before', async () => {
  const t = setup();
  await t.f.naming.registerPersistentInstance(svc, { ip: '127.0.0.5', port: 80 });
  await t.f.naming.putInstanceOverride(svc, '127.0.0.5', 80, 'DEFAULT', override);
  await t.cleaner.sweep();
  assert.equal(t.cleaner.pendingCount(), 0, 'instance present: nothing pending');

  await t.f.naming.deregisterPersistentInstance(svc, '127.0.0.5', 80);
  await t.cleaner.sweep();
  assert.equal(t.cleaner.pendingCount(), 1);
  t.f.clock.advance(59_999);
  await t.cleaner.sweep();
  assert.deepEqual(t.overrideOf('127.0.0.5', 80), override, 'kept within the grace period');
  t.f.clock.advance(1);
  await t.cleaner.sweep();
  assert.equal(t.overrideOf('127.0.0.5', 80), undefined);
  assert.deepEqual(t.storedMeta(), []);
  assert.deepEqual(t.asked, ['127.0.0.5:80#false'], 'responsibility asked for the ip:port');
  assert.equal(t.cleaner.pendingCount(), 0);
});

test('re-registering within the grace period keeps the override', async () => {
  const t = setup();
  await t.f.naming.registerPersistentInstance(svc, { ip: '127.0.0.6', port: 80 });
  await t.f.naming.putInstanceOverride(svc, '127.0.0.6', 80, 'DEFAULT', override);
  await t.f.naming.deregisterPersistentInstance(svc, '127.0.0.6', 80);
  await t.cleaner.sweep();
  t.f.clock.advance(30_000);
  await t.f.naming.registerPersistentInstance(svc, { ip: '127.0.0.6', port: 80 });
  await t.cleaner.sweep();
  assert.equal(t.cleaner.pendingCount(), 0);
  t.f.clock.advance(60_000);
  await t.cleaner.sweep();
  assert.deepEqual(t.overrideOf('127.0.0.6', 80), override);
});

test('an ephemeral (gRPC) instance keeps its override alive; the timer runs sweeps', async () => {
  const t = setup();
  t.f.naming.registerConnectionInstance('conn-1', svc, { ip: '127.0.0.7', port: 81 });
  await t.f.naming.putInstanceOverride(svc, '127.0.0.7', 81, 'DEFAULT', override);
  t.cleaner.start();
  t.f.clock.advance(120_000);
  await new Promise<void>((r) => setImmediate(r));
  assert.deepEqual(t.overrideOf('127.0.0.7', 81), override);
  t.f.naming.connectionClosed('conn-1');
  t.f.clock.advance(70_000);
  await new Promise<void>((r) => setImmediate(r));
  t.cleaner.stop();
  assert.equal(t.overrideOf('127.0.0.7', 81), undefined);
});

test('a member not responsible for the ip:port leaves the deletion to the responsible one', async () => {
  const t = setup(() => false);
  await t.f.naming.registerPersistentInstance(svc, { ip: '127.0.0.8', port: 80 });
  await t.f.naming.putInstanceOverride(svc, '127.0.0.8', 80, 'DEFAULT', override);
  await t.f.naming.deregisterPersistentInstance(svc, '127.0.0.8', 80);
  await t.cleaner.sweep();
  t.f.clock.advance(120_000);
  await t.cleaner.sweep();
  assert.deepEqual(t.overrideOf('127.0.0.8', 80), override);
  assert.equal(t.storedMeta().length, 1);
});

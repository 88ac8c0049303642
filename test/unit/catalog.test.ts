/**
 * The naming read models (src/naming/catalog.ts): service facts, lists and paging, instances with
 * operator overlays, statuses, publishers, and the protect-threshold rule shared with the
 * selection (src/core/selection.ts, docs/protocol/persistent.md §5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NacosError } from '../../src/core/errors.js';
import type { Instance } from '../../src/core/instance.js';
import { reachesProtectThreshold, selectInstances } from '../../src/core/selection.js';
import { clusterMeta, clusterNames, page, triggerFlag } from '../../src/naming/catalog.js';
import { namingFixture } from './helpers/naming-fixture.js';

const key = (name: string, group = 'DEFAULT_GROUP', namespace = 'public') => ({ namespace, group, name });
const svc = key('orders');

function nacosError(status: number, message: string) {
  return (e: unknown) => e instanceof NacosError && e.status === status && e.message === message;
}

test('the stores stay private to NamingService: edges read through the catalog (checked by the type-check of npm run lint)', () => {
  const f = namingFixture();
  // @ts-expect-error the registry is private (docs/architecture.md "Layer rules")
  assert.ok(f.naming.registry);
  // @ts-expect-error the metadata index is private
  assert.ok(f.naming.metadata);
});

test('serviceFacts: unknown, registered only (defaults), metadata only (no instances)', async () => {
  const f = namingFixture();
  const c = f.naming.catalog;
  assert.equal(c.serviceFacts(svc), undefined);

  f.naming.registerConnectionInstance('conn1', svc, { ip: '127.0.0.1', port: 80, clusterName: 'b' });
  f.naming.registerConnectionInstance('conn2', svc, { ip: '127.0.0.2', port: 80, clusterName: 'a' });
  const reg = c.serviceFacts(svc)!;
  assert.deepEqual([reg.registered, reg.hasMetadata, reg.meta.ephemeral, reg.meta.protectThreshold], [true, false, true, 0]);
  assert.deepEqual(reg.instances.map((i) => i.ip).sort(), ['127.0.0.1', '127.0.0.2']);
  assert.deepEqual(clusterNames(reg), ['a', 'b']);
  assert.deepEqual(clusterMeta(reg, 'a').healthChecker, { type: 'TCP' });

  const meta = key('meta-only');
  await f.naming.createService(meta, { protectThreshold: 0.5 });
  // The empty-service expiry removes an empty service before its metadata (docs/protocol/persistent.md §4.5).
  f.registry.removeService(meta);
  const m = c.serviceFacts(meta)!;
  assert.deepEqual([m.registered, m.hasMetadata, m.meta.protectThreshold, m.instances.length], [false, true, 0.5, 0]);
  assert.equal(c.hasService(meta), false);
  assert.deepEqual(c.serviceMetadata(meta)?.protectThreshold, 0.5);
});

test('instances: operator overlays applied to allInstances and findInstance, not to publishedInstances', async () => {
  const f = namingFixture();
  const c = f.naming.catalog;
  f.naming.registerConnectionInstance('conn1', svc, { ip: '127.0.0.1', port: 80, metadata: { a: '1' } });
  await f.naming.putInstanceOverride(svc, '127.0.0.1', 80, 'DEFAULT', { weight: 7, enabled: false, metadata: { b: '2' } });
  const [over] = c.allInstances(svc);
  assert.deepEqual([over!.weight, over!.enabled, over!.metadata], [7, false, { a: '1', b: '2' }]);
  const [raw] = c.publishedInstances(svc);
  assert.deepEqual([raw!.weight, raw!.enabled, raw!.metadata], [1, true, { a: '1' }]);
  assert.equal(c.findInstance(svc, '127.0.0.1', 80)?.weight, 7);
  assert.equal(c.findInstance(svc, '127.0.0.1', 80, 'other'), undefined);
  assert.deepEqual(c.instanceOverride(svc, '127.0.0.1:80:DEFAULT'), { weight: 7, enabled: false, metadata: { b: '2' } });
  assert.deepEqual(c.allInstances(key('nope')), []);
  assert.deepEqual(c.publishedInstances(key('nope')), []);
});

test('instanceStatuses and instanceOr404 answer with Nacos 404 messages', () => {
  const f = namingFixture();
  const c = f.naming.catalog;
  assert.throws(() => c.instanceStatuses(svc), nacosError(404, 'service: DEFAULT_GROUP@@orders not found.'));
  assert.throws(() => c.instanceOr404(svc, 'DEFAULT', '127.0.0.1', 80), nacosError(404, 'no ips found for cluster DEFAULT in service DEFAULT_GROUP@@orders'));
  f.naming.registerConnectionInstance('conn1', svc, { ip: '127.0.0.1', port: 80, healthy: false });
  assert.deepEqual(c.instanceStatuses(svc), ['127.0.0.1:80_false']);
  assert.equal(c.instanceOr404(svc, 'DEFAULT', '127.0.0.1', 80).port, 80);
  assert.throws(() => c.instanceOr404(svc, 'DEFAULT', '127.0.0.1', 81), nacosError(404, 'no matched ip found!'));
});

test('service lists: sorted by group then name per namespace, namespaces sorted, 1-based pages', () => {
  const f = namingFixture();
  const c = f.naming.catalog;
  for (const k of [key('b', 'G2'), key('c', 'G1'), key('a', 'G2'), key('z', 'G1', 'dev')]) {
    f.naming.registerConnectionInstance('conn1', k, { ip: '127.0.0.1', port: 80 });
  }
  assert.deepEqual(c.servicesOf('public').map((k) => `${k.group}@@${k.name}`), ['G1@@c', 'G2@@a', 'G2@@b']);
  assert.deepEqual(c.namespaces(), ['dev', 'public']);
  assert.deepEqual(c.listServices('public', 'G2', 1, 1), { count: 2, names: ['a'] });
  assert.deepEqual(c.listServices('public', 'G2', 2, 1), { count: 2, names: ['b'] });
  assert.deepEqual(c.listServices('public', 'G3', 1, 10), { count: 0, names: [] });
  assert.deepEqual([c.serviceCount(), c.instanceCount()], [4, 4]);
  const found = (nameContains: string, groupContains: string) =>
    c.findServices('public', { nameContains, groupContains, withInstancesOnly: false }).map((x) => `${x.key.group}@@${x.key.name}`);
  assert.deepEqual(found('', '2'), ['G2@@a', 'G2@@b']);
  assert.deepEqual(found('b', ''), ['G2@@b']);
  assert.deepEqual(page([1, 2, 3, 4, 5], 2, 2), [3, 4]);
  assert.deepEqual(page([1, 2, 3], 0, 2), [1, 2]);
  assert.deepEqual(page([1, 2, 3], 1, -1), []);
});

test('publishers: each client with its own record, ephemerality and instances as published', async () => {
  const f = namingFixture();
  const c = f.naming.catalog;
  f.naming.registerConnectionInstance('conn1', svc, { ip: '127.0.0.1', port: 80 });
  f.naming.batchRegisterConnectionInstances('conn2', svc, [
    { ip: '127.0.0.2', port: 80 },
    { ip: '127.0.0.2', port: 81 },
  ]);
  const pubs = c.publishers(svc);
  assert.deepEqual(
    pubs.map((p) => [p.clientId, p.ephemeral, p.instances.map((i) => i.port)]),
    [
      ['conn1', true, [80]],
      ['conn2', true, [80, 81]],
    ],
  );
  assert.deepEqual(c.publishers(key('nope')), []);
  assert.equal(c.getClient('conn1')?.id, 'conn1');
});

function inst(healthy: boolean): Instance {
  return { ip: '127.0.0.1', port: 1, weight: 1, healthy, enabled: true, ephemeral: true, clusterName: 'DEFAULT', metadata: {}, instanceId: 'x' };
}

test('the protect-threshold rule: healthy/total <= threshold, empty never, negative counts as 0', () => {
  assert.equal(reachesProtectThreshold([], 1), false);
  assert.equal(reachesProtectThreshold([inst(false)], 0), true);
  assert.equal(reachesProtectThreshold([inst(false)], -1), true);
  assert.equal(reachesProtectThreshold([inst(true), inst(false)], 0.5), true, '<=, not <');
  assert.equal(reachesProtectThreshold([inst(true), inst(false)], 0.49), false);
  assert.equal(reachesProtectThreshold([inst(true)], 0), false);
});

test('triggerFlag and the selection share the rule; only the selection needs a metadata record', async () => {
  const f = namingFixture();
  const c = f.naming.catalog;
  // No metadata record, every instance unhealthy: the catalog flags it (default threshold 0) ...
  f.naming.registerConnectionInstance('conn1', svc, { ip: '127.0.0.1', port: 80, healthy: false });
  const facts = c.serviceFacts(svc)!;
  assert.equal(triggerFlag(facts), true);
  // ... but a query is not protected without a record (docs/protocol/persistent.md §5).
  const opts = { clusters: [], healthyOnly: false, enabledOnly: true };
  assert.equal(selectInstances(facts.instances, c.serviceMetadata(svc), opts).reachProtectionThreshold, false);
  await f.naming.updateService(svc, { protectThreshold: 0 });
  assert.equal(selectInstances(facts.instances, c.serviceMetadata(svc), opts).reachProtectionThreshold, true);
  assert.equal(triggerFlag(c.serviceFacts(svc)!), true);
  // An empty service never reaches it, and is left out of the lists that want instances.
  await f.naming.createService(key('empty'), { protectThreshold: 1 });
  assert.equal(triggerFlag(c.serviceFacts(key('empty'))!), false);
  const names = (withInstancesOnly: boolean) => c.findServices('public', { nameContains: '', groupContains: '', withInstancesOnly }).map((x) => x.key.name);
  assert.deepEqual([names(false), names(true)], [['empty', 'orders'], ['orders']]);
  // Healthy share above the threshold.
  f.naming.registerConnectionInstance('conn2', svc, { ip: '127.0.0.2', port: 80 });
  assert.equal(triggerFlag(c.serviceFacts(svc)!), false);
});

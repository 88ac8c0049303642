import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkClusters,
  checkGroup,
  checkMetadata,
  checkNamespaceId,
  checkPort,
  checkServiceName,
  parseServiceKeyId,
  serviceKeyId,
  splitGroupedName,
} from '../../src/core/names.js';
import { checkInstanceLegal, defaultInstanceId, type Instance } from '../../src/core/instance.js';
import { NacosError } from '../../src/core/errors.js';

test('service key round trip and grouped names', () => {
  const k = { namespace: 'public', group: 'G', name: 'svc.a' };
  assert.deepEqual(parseServiceKeyId(serviceKeyId(k)), k);
  assert.deepEqual(splitGroupedName('G@@svc'), { group: 'G', name: 'svc' });
  assert.deepEqual(splitGroupedName('svc'), { group: 'DEFAULT_GROUP', name: 'svc' });
  assert.equal(defaultInstanceId(k, '127.0.0.1', 80, 'DEFAULT'), '127.0.0.1#80#DEFAULT#G@@svc.a');
});

test('parameter checker follows Nacos rules', () => {
  assert.equal(checkServiceName('ok.svc-1'), null);
  assert.match(checkServiceName('@x') ?? '', /illegal characters/);
  assert.match(checkServiceName('a@@b') ?? '', /illegal characters/);
  assert.match(checkServiceName('a b') ?? '', /illegal characters/);
  assert.match(checkServiceName('x'.repeat(513)) ?? '', /should not exceed 512/);
  assert.match(checkGroup('bad/group') ?? '', /illegal characters/);
  assert.equal(checkGroup('a-b_c:d.e'), null);
  assert.match(checkNamespaceId('x'.repeat(65)) ?? '', /should not exceed 64/);
  assert.equal(checkClusters('A,B_1'), null);
  assert.match(checkClusters('A,B!') ?? '', /illegal characters/);
  assert.equal(checkPort(0), null);
  assert.match(checkPort(65536) ?? '', /between 0 and 65535/);
  assert.match(checkPort(1.5) ?? '', /between 0 and 65535/);
  assert.match(checkMetadata({ k: 'v'.repeat(1024) }) ?? '', /should not exceed 1024/);
});

test('instance legality: weight, cluster, heartbeat metadata', () => {
  const base: Instance = {
    instanceId: 'x', ip: '127.0.0.1', port: 1, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: 'DEFAULT', metadata: {},
  };
  assert.doesNotThrow(() => checkInstanceLegal(base));
  assert.throws(() => checkInstanceLegal({ ...base, weight: 10001 }), (e: NacosError) => e.status === 400 && /weights range/.test(e.message));
  assert.throws(() => checkInstanceLegal({ ...base, weight: -1 }), NacosError);
  assert.throws(() => checkInstanceLegal({ ...base, clusterName: 'a_b' }), /0-9a-zA-Z-/);
  assert.throws(
    () => checkInstanceLegal({ ...base, metadata: { 'preserved.heart.beat.interval': '20000' } }),
    /heart beat interval/,
  );
});

/**
 * Limits (docs/security.md §8, §9): the caps on services, instances, namespaces and subscriptions on
 * every write path, and the name length limits that apply even with the parameter checker off.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namingHandlers, type HandlerContext } from '../../src/transport/grpc/naming-handlers.js';
import { createHttpContext, type HttpContext } from './helpers/http-context.js';

const hc = (connectionId: string): HandlerContext => ({ connectionId, clientIp: '127.0.0.1', remoteAddress: '127.0.0.1:1', appName: 'unit', clientVersion: 'test' });

/** Calls one gRPC naming handler the way the SDK server does (a thrown NacosError is the failure). */
async function grpc(t: HttpContext, type: string, body: object, conn = 'conn-1'): Promise<{ ok: true } | { ok: false; status: number; message: string }> {
  const h = namingHandlers(t.ctx)[type]!;
  try {
    await h(body, hc(conn));
    return { ok: true };
  } catch (e) {
    const err = e as { status: number; message: string };
    return { ok: false, status: err.status, message: err.message };
  }
}

const inst = (ip: string, port: number) => ({ ip, port, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: null, metadata: {} });

test('gRPC: the name length limits apply with the parameter checker off (one limit everywhere)', async () => {
  const t = createHttpContext({ properties: { 'nacos.core.param.check.enabled': 'false' } });
  const long = 'n'.repeat(65);
  const msg = "Param check invalid:Param 'namespaceId/tenant' is illegal, the param length should not exceed 64.";
  assert.deepEqual(await grpc(t, 'InstanceRequest', { namespace: long, serviceName: 's', groupName: null, type: 'registerInstance', instance: inst('127.0.0.1', 1) }), {
    ok: false,
    status: 400,
    message: msg,
  });
  assert.deepEqual(await grpc(t, 'ServiceListRequest', { namespace: long, groupName: null, pageNo: 1, pageSize: 10 }), { ok: false, status: 400, message: msg });
  const bigName = await grpc(t, 'SubscribeServiceRequest', { namespace: 'public', serviceName: 's'.repeat(513), groupName: null, subscribe: true, clusters: '' });
  assert.deepEqual(bigName, { ok: false, status: 400, message: "Param check invalid:Param 'serviceName' is illegal, the param length should not exceed 512." });
  // Character rules are what the switch turns off.
  assert.deepEqual(await grpc(t, 'InstanceRequest', { namespace: 'dev!', serviceName: 's', groupName: null, type: 'registerInstance', instance: inst('127.0.0.1', 1) }), { ok: true });
  assert.equal(t.registry.serviceCount(), 1);
  assert.equal(t.subs.count(), 0);
});

/**
 * Nomen's own answers on the Nacos 3 admin APIs where it differs from Nacos on purpose
 * (docs/compatibility.md, "Differences"), and what the fixtures cannot show: the loader
 * and raft commands reaching the server, subscriber aggregation across members.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../src/transport/http/http-server.js';
import type { Member } from '../../src/transport/http/members.js';
import { selfMember } from '../../src/transport/http/members.js';
import { createHttpContext, json, NODE_SDK_HEADERS, query } from './helpers/http-context.js';
import { fakeAdmin } from './helpers/nacos3-fixtures.js';

const CORE = '/nacos/v3/admin/core';

test('ops/raft: transferLeader reaches the store; snapshots, membership commands and unknown commands are refused, not faked', async () => {
  const admin = fakeAdmin();
  const targets: string[] = [];
  admin.transferLeader = async (to) => {
    targets.push(to);
    return true;
  };
  const t = createHttpContext({ admin });
  const ok = await t.app.inject({ method: 'POST', url: `${CORE}/ops/raft`, headers: { 'content-type': 'application/json' }, payload: '{"command":"transferLeader","value":"127.0.0.1:7848"}' });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual(targets, ['127.0.0.1:8848'], 'the Nacos raft peer ip:raftPort is mapped to the member address');
  const post = (body: Record<string, string>) => query(t.app, 'POST', `${CORE}/ops/raft`, body);
  const snap = await post({ command: 'doSnapshot', value: '127.0.0.1:7848' });
  assert.equal(snap.statusCode, 501);
  assert.equal(json<{ code: number }>(snap).code, 40001);
  assert.equal((await post({ command: 'removePeer', value: '127.0.0.1:7848' })).statusCode, 501);
  assert.deepEqual(json(await post({ command: 'resetRaftCluster' })), { code: 20002, message: 'parameter validate error', data: 'Not support command : resetRaftCluster' });
  assert.equal((await post({ command: 'transferLeader', value: '10.9.9.9:7848' })).statusCode, 400);
  assert.deepEqual(json(await post({ groupId: 'other', command: 'transferLeader', value: '127.0.0.1:7848' })), {
    code: 20002,
    message: 'parameter validate error',
    data: 'not this raft group : other',
  });
  const bad = await t.app.inject({ method: 'POST', url: `${CORE}/ops/raft`, headers: { 'content-type': 'application/json' }, payload: '{"command":' });
  assert.equal(bad.statusCode, 400);
  assert.equal(json<{ code: number }>(bad).code, 10000);
  // Not the leader: the operator is told where the leader is.
  admin.raftGroup = () => ({ group: 'naming_persistent_service_v2', leader: '127.0.0.2:8848', term: 4, voters: ['127.0.0.1:8848', '127.0.0.2:8848'], isLeader: false });
  const follower = await post({ command: 'transferLeader', value: '127.0.0.1:7848' });
  assert.equal(follower.statusCode, 500);
  assert.match(json<{ data: string }>(follower).data, /leader: 127\.0\.0\.2:8848/);
});

test('v1 ops/raft answers the same commands in the RestResult family', async () => {
  const t = createHttpContext({ admin: fakeAdmin() });
  const r = await query(t.app, 'POST', '/nacos/v1/core/ops/raft', { command: 'transferLeader', value: '127.0.0.1:7848' });
  assert.deepEqual([r.statusCode, r.body], [200, '{"code":200,"message":null,"data":null}']);
  const bad = await query(t.app, 'POST', '/nacos/v1/core/ops/raft', { command: 'nope' });
  assert.deepEqual([bad.statusCode, bad.body], [400, 'Not support command : nope']);
});

test('member list update and lookup switching are refused as unsupported (not answered true)', async () => {
  const t = createHttpContext({ admin: fakeAdmin() });
  const put = await t.app.inject({ method: 'PUT', url: `${CORE}/cluster/node/list`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify([{ ip: '127.0.0.2', port: 8848 }]) });
  assert.equal(put.statusCode, 501);
  assert.equal(json<{ code: number }>(put).code, 40001);
  assert.equal((await query(t.app, 'PUT', `${CORE}/cluster/lookup`, { type: 'address-server' })).statusCode, 501);
});

test('namespaces: updating or deleting public, or updating an unknown namespace, is refused', async () => {
  const t = createHttpContext();
  assert.equal((await query(t.app, 'PUT', `${CORE}/namespace`, { namespaceId: 'nope', namespaceName: 'N' })).statusCode, 404);
  assert.equal((await query(t.app, 'PUT', `${CORE}/namespace`, { namespaceId: 'public', namespaceName: 'N' })).statusCode, 400);
  assert.equal((await query(t.app, 'DELETE', `${CORE}/namespace`, { namespaceId: 'public' })).statusCode, 400);
  assert.equal((await query(t.app, 'POST', `${CORE}/namespace`, { namespaceId: 'n'.repeat(65), namespaceName: 'N' })).statusCode, 400);
});

test('loader: reloadCurrent asks the newest connections beyond count to move; reloadClient moves one', async () => {
  const admin = fakeAdmin();
  const conns = [1, 2, 3].map((i) => ({ ...admin.connections()[0]!, id: `c${i}`, createdAt: i }));
  admin.connections = () => conns;
  const t = createHttpContext({ admin });
  await query(t.app, 'POST', `${CORE}/loader/reloadCurrent`, { count: 1, redirectAddress: '127.0.0.2:8848' });
  assert.deepEqual(admin.moved, ['c3', 'c2']);
  await query(t.app, 'GET', '/nacos/v2/core/loader/reloadClient', { connectionId: 'c1' });
  assert.deepEqual(admin.moved, ['c3', 'c2', 'c1']);
  const missing = await query(t.app, 'POST', `${CORE}/loader/reloadCurrent`, {});
  assert.equal(json<{ code: number }>(missing).code, 10000);
});

test('loader: smart reload asks an overloaded member to shed what the rebalance plan says; a member with no count fails it', async () => {
  const admin = fakeAdmin();
  admin.connections = () => Array.from({ length: 10 }, (_, i) => ({ ...fakeAdmin().connections()[0]!, id: `c${i}`, createdAt: i }));
  const t = createHttpContext({ admin });
  const self = selfMember(t.ctx);
  const peer = (n: number | null): Member => ({ ...self, ip: '127.0.0.2', address: '127.0.0.2:8848', extendInfo: n === null ? {} : { sdkConnections: n } });
  let members: Member[] = [self, peer(2)];
  const app = createHttpServer(t.ctx, { admin, members: () => members });
  // Self: 10 connections, peer 2 → average 6; self keeps 6 and moves 4, to the peer.
  t.ctx.connectionCount = () => 10;
  const r = await query(app, 'POST', `${CORE}/loader/smartReloadCluster`, { loaderFactor: '0.1' });
  assert.deepEqual(json(r), { code: 0, message: 'success', data: null });
  assert.equal(admin.moved.length, 4);
  members = [self, peer(null)];
  const failed = await query(app, 'POST', `${CORE}/loader/smartReloadCluster`, {});
  assert.deepEqual([failed.statusCode, json(failed)], [200, { code: 30000, message: 'server error', data: 'Smart reload failed, please try again later.' }]);
});

test('service subscribers (v3 admin, v3 console and v1) are aggregated across UP members (aggregation=true by default), without duplicates', async () => {
  const a = createHttpContext();
  const b = createHttpContext();
  await b.app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const bAddr = `127.0.0.1:${(b.app.server.address() as AddressInfo).port}`;
    // One UDP subscriber on each member.
    await query(a.app, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'svc', udpPort: 4000, app: 'a' }, NODE_SDK_HEADERS);
    await query(b.app, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'svc', udpPort: 5000, app: 'b' }, NODE_SDK_HEADERS);
    const self = selfMember(a.ctx);
    const members: Member[] = [self, { ...self, ip: '127.0.0.1', address: bAddr }];
    const cluster = { members: () => members, responsibleTag: () => true, mapSrv: () => self.address, distroState: () => ({}), forwardTimeoutMs: 2000 };
    const app = createHttpServer(a.ctx, { cluster });
    const all = json<{ data: { totalCount: number; pageItems: { address: string }[] } }>(await query(app, 'GET', '/nacos/v3/admin/ns/service/subscribers', { serviceName: 'svc' }));
    assert.deepEqual(all.data.pageItems.map((s) => s.address).sort(), ['127.0.0.1:4000', '127.0.0.1:5000']);
    const local = json<{ data: { totalCount: number } }>(await query(app, 'GET', '/nacos/v3/admin/ns/service/subscribers', { serviceName: 'svc', aggregation: 'false' }));
    assert.equal(local.data.totalCount, 1);
    // The v1 path aggregates the same way (Nacos 2.x's v1 controller does too).
    const v1 = json<{ count: number; subscribers: { addrStr: string }[] }>(await query(app, 'GET', '/nacos/v1/ns/service/subscribers', { serviceName: 'svc' }));
    assert.deepEqual([v1.count, v1.subscribers.map((s) => s.addrStr).sort()], [2, ['127.0.0.1:4000', '127.0.0.1:5000']]);
    assert.equal(json<{ count: number }>(await query(app, 'GET', '/nacos/v1/ns/service/subscribers', { serviceName: 'svc', aggregation: 'false' })).count, 1);
    // The v3 console path (the official UI's subscriber tab) takes the same AggregationForm.
    const ui = json<{ data: { totalCount: number; pageItems: { address: string }[] } }>(await query(app, 'GET', '/nacos/v3/console/ns/service/subscribers', { serviceName: 'svc' }));
    assert.deepEqual([ui.data.totalCount, ui.data.pageItems.map((s) => s.address).sort()], [2, ['127.0.0.1:4000', '127.0.0.1:5000']]);
    const uiLocal = json<{ data: { totalCount: number } }>(await query(app, 'GET', '/nacos/v3/console/ns/service/subscribers', { serviceName: 'svc', aggregation: 'false' }));
    assert.equal(uiLocal.data.totalCount, 1);
  } finally {
    await b.app.close();
  }
});

test('service list: a filter that could backtrack for seconds (quantified group, back-reference, too long) is refused; plain fragments work', async () => {
  const t = createHttpContext();
  await query(t.app, 'POST', '/nacos/v3/admin/ns/instance', { serviceName: 'a'.repeat(60), ip: '127.0.0.1', port: 1 });
  for (const serviceNameParam of ['(a+)+$', '(a|aa)*b', '(a)\\1', 'x'.repeat(257)]) {
    const r = await query(t.app, 'GET', '/nacos/v3/admin/ns/service/list', { serviceNameParam });
    assert.equal(r.statusCode, 400, serviceNameParam);
    assert.equal(json<{ code: number }>(r).code, 20002);
  }
  const ok = json<{ data: { totalCount: number } }>(await query(t.app, 'GET', '/nacos/v3/admin/ns/service/list', { serviceNameParam: 'a.a' }));
  assert.equal(ok.data.totalCount, 1);
  const badRegex = await query(t.app, 'GET', '/nacos/v3/admin/ns/service/list', { serviceNameParam: '[' });
  assert.equal(badRegex.statusCode, 400, 'an invalid pattern is a 400 (Nacos: PatternSyntaxException), not a 500');
});

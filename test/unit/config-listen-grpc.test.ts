/**
 * ConfigBatchListenRequest and ConfigChangeNotifyRequest over a real SDK gRPC port
 * (docs/config-center.md "Listening and pushes"): changedConfigs with the tenant as sent, gray-aware;
 * pushes with the tenant omitted for a blank listen; listen:false; bad input and the per-connection
 * cap refuse the whole request; a closed connection's listens are forgotten; the auth hook checks
 * every namespace a batch names.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { AppContext } from '../../src/app-context.js';
import { configListening } from '../../src/app/config-listening.js';
import { AuthService } from '../../src/auth/auth-service.js';
import { contentMd5 } from '../../src/config-center/config-keys.js';
import { ConfigService } from '../../src/config-center/config-service.js';
import { ConfigState } from '../../src/config-center/config-state.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { grpcAuthorizer } from '../../src/transport/grpc/authorizer.js';
import { sdkResponseType } from '../../src/transport/grpc/config-binding.js';
import { bindConfigListen } from '../../src/transport/grpc/config-listen.js';
import { ProbeClient, type ProbeStream } from '../../src/transport/grpc/probe-client.js';
import { SdkGrpcServer } from '../../src/transport/grpc/sdk-server.js';
import { createHttpContext } from './helpers/http-context.js';

const T = { timeout: 20_000 };
const who = { srcUser: 'nacos', srcIp: '127.0.0.1' };
const SETUP = { clientVersion: 'Nacos-Rust-Client:0.8.0', abilities: {}, tenant: '', labels: { module: 'config', source: 'sdk' }, headers: {}, requestId: null };
const LISTEN = 'ConfigBatchListenRequest';

async function harness(t: TestContext, properties: Record<string, string> = {}, withAuth = false) {
  const base = createHttpContext({ clock: systemClock, properties });
  const state = new ConfigState();
  base.store.onApply((b) => state.apply(b));
  const center = new ConfigService({ store: base.store, state, clock: systemClock, maxContent: 1000, maxGrayVersions: 10, maxConfigs: 1000 });
  let auth: AuthService | undefined;
  if (withAuth) {
    auth = new AuthService({ store: base.store, clock: systemClock, log: silentLogger(), enabled: true, tokenTtlSeconds: 18000, secretKey: Buffer.alloc(32, 3).toString('base64'), bcryptCost: 4 });
    base.store.onApply((b) => auth!.apply(b));
    await auth.initAdmin('adminpw');
    await auth.createUser('dev-reader', 'pw');
    await auth.addRole('devs', 'dev-reader');
    await auth.addPermission('devs', 'dev:*:*', 'r');
  }
  const grpc = new SdkGrpcServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), ...(auth ? { authorize: grpcAuthorizer(auth, sdkResponseType) } : {}) });
  const listening = configListening(base.config, center, grpc, systemClock, silentLogger());
  const ctx: AppContext = { ...base.ctx, configCenter: center, configListening: listening };
  bindConfigListen(grpc, ctx, listening);
  await grpc.start();
  const client = new ProbeClient(`127.0.0.1:${grpc.boundPort}`);
  t.after(async () => {
    listening.stop();
    client.close();
    await grpc.stop(500);
  });
  const stream = client.openStream();
  stream.send('ConnectionSetupRequest', SETUP, { clientIp: '127.0.0.5' });
  for (let i = 0; i < 500 && grpc.connectionCount() === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(grpc.connectionCount(), 1);
  const publish = (dataId: string, content: string, tenant = 'public', extra: { betaIps?: string } = {}) =>
    center.publish({ tenant, group: 'G', dataId, content, ...who, ...extra });
  return { grpc, client, stream, center, listening, publish, auth };
}

const ctxOf = (dataId: string, md5: string, tenant: string | null = '') => ({ dataId, group: 'G', tenant, md5 });
const listenBody = (listen: boolean, contexts: object[]) => ({ listen, configListenContexts: contexts, headers: {}, requestId: '1', tenant: null, dataId: null, group: null });

/** Nothing arrives on the stream within `ms`. */
async function silent(stream: ProbeStream, ms = 300): Promise<boolean> {
  try {
    return (await stream.next(ms)) === null;
  } catch {
    return true;
  }
}

/** The next server request on the stream that is a config push (skipping nothing else: there is nothing else). */
async function nextPush(stream: ProbeStream, timeoutMs = 3000) {
  const m = await stream.next(timeoutMs);
  if (m) assert.equal(m.type, 'ConfigChangeNotifyRequest');
  return m;
}

test('batch listen answers the keys whose md5 differs, with the tenant exactly as sent', T, async (t) => {
  const h = await harness(t);
  await h.publish('a', 'a=1');
  await h.publish('b', 'b=1', 'dev');
  await h.publish('c', 'c=1');
  const r = await h.client.request(LISTEN, listenBody(true, [ctxOf('a', ''), ctxOf('b', 'stale', 'dev'), ctxOf('c', contentMd5('c=1')), ctxOf('missing', ''), ctxOf('gone', 'old', null)]));
  assert.equal(r.type, 'ConfigChangeBatchListenResponse');
  assert.equal(r.body['resultCode'], 200);
  assert.deepEqual(r.body['changedConfigs'], [
    { dataId: 'a', group: 'G', tenant: '' },
    { dataId: 'b', group: 'G', tenant: 'dev' },
    { dataId: 'gone', group: 'G' },
  ]);
  assert.equal(h.listening.listeners.size(), 5);
  // Beyond Nacos: each stale key is pushed at once too (the Rust SDK ignores the answer above).
  const pushed: string[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await nextPush(h.stream);
    pushed.push(`${String(p?.body['dataId'])}/${String(p?.body['tenant'] ?? '-')}`);
    h.stream.ack(p!);
  }
  assert.deepEqual(pushed.sort(), ['a/-', 'b/dev', 'gone/-']);
  assert.ok(await silent(h.stream));
  // Later changes are pushed as usual.
  await h.publish('a', 'a=2');
  const later = await nextPush(h.stream);
  assert.equal(later?.body['dataId'], 'a');
});

test('a change pushes ConfigChangeNotifyRequest to the listener: tenant omitted for a blank listen, echoed otherwise', T, async (t) => {
  const h = await harness(t);
  await h.client.request(LISTEN, listenBody(true, [ctxOf('a', ''), ctxOf('b', '', 'dev')]));
  await h.publish('a', 'a=1');
  const p1 = await nextPush(h.stream);
  assert.ok(p1);
  assert.equal(p1.body['dataId'], 'a');
  assert.equal(p1.body['group'], 'G');
  assert.equal(p1.body['module'], 'config');
  assert.equal('tenant' in p1.body, false, 'no tenant for a blank listen');
  assert.equal(typeof p1.body['requestId'], 'string');
  assert.deepEqual(p1.body['headers'], {});
  h.stream.ack(p1);
  await h.publish('b', 'b=1', 'dev');
  const p2 = await nextPush(h.stream);
  assert.equal(p2?.body['tenant'], 'dev');
  h.stream.ack(p2!);
  // A key nobody listens to pushes nothing.
  await h.publish('other', 'x');
  assert.ok(await silent(h.stream));
  for (let i = 0; i < 100 && h.listening.notifier.stats.sent < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(h.listening.notifier.stats.sent, 2);
});

test('a gray (beta) publish notifies listeners and makes a matching client out of date', T, async (t) => {
  const h = await harness(t);
  await h.publish('a', 'a=1');
  const formal = contentMd5('a=1');
  await h.client.request(LISTEN, listenBody(true, [ctxOf('a', formal)]));
  await h.publish('a', 'beta=1', 'public', { betaIps: '127.0.0.5' });
  const p = await nextPush(h.stream);
  assert.equal(p?.body['dataId'], 'a');
  h.stream.ack(p!);
  const r = await h.client.request(LISTEN, listenBody(true, [ctxOf('a', formal)]));
  assert.deepEqual(r.body['changedConfigs'], [{ dataId: 'a', group: 'G', tenant: '' }], 'the beta md5 is what this client should hold');
  const r2 = await h.client.request(LISTEN, listenBody(true, [ctxOf('a', contentMd5('beta=1'))]));
  assert.deepEqual(r2.body['changedConfigs'], []);
});

test('listen:false stops the pushes', T, async (t) => {
  const h = await harness(t);
  await h.client.request(LISTEN, listenBody(true, [ctxOf('a', '')]));
  const r = await h.client.request(LISTEN, listenBody(false, [ctxOf('a', '')]));
  assert.equal(r.body['resultCode'], 200);
  assert.equal(h.listening.listeners.size(), 0);
  await h.publish('a', 'a=1');
  assert.ok(await silent(h.stream));
});

test('a bad context or more listens than the cap refuse the whole request, recording nothing', T, async (t) => {
  const h = await harness(t, { 'nomen.config.listen.max-per-connection': '2' });
  const bad = await h.client.request(LISTEN, listenBody(true, [ctxOf('ok', ''), ctxOf('bad id$', '')]));
  assert.equal(bad.type, 'ConfigChangeBatchListenResponse');
  assert.equal(bad.body['resultCode'], 500);
  assert.equal(bad.body['errorCode'], 400);
  assert.equal(bad.body['message'], "Param check invalid:Param 'dataId' is illegal, illegal characters should not appear in the param.");
  const shape = await h.client.request(LISTEN, { listen: true, configListenContexts: [{ dataId: 1 }] });
  assert.equal(shape.body['errorCode'], 400);
  assert.equal(h.listening.listeners.size(), 0);
  assert.equal((await h.client.request(LISTEN, listenBody(true, [ctxOf('a', ''), ctxOf('b', '')]))).body['resultCode'], 200);
  // Refreshing listened keys is fine at the cap; one more new key is not.
  assert.equal((await h.client.request(LISTEN, listenBody(true, [ctxOf('a', 'x')]))).body['resultCode'], 200);
  const over = await h.client.request(LISTEN, listenBody(true, [ctxOf('a', ''), ctxOf('c', '')]));
  assert.equal(over.body['errorCode'], 400);
  assert.equal(over.body['message'], 'too many listened configs on one connection, over 2');
  assert.equal(h.listening.listeners.size(), 2);
  assert.equal(h.listening.listeners.listenersOf({ tenant: 'public', group: 'G', dataId: 'a' }).values().next().value?.md5, 'x');
});

test('a closed connection forgets its listens', T, async (t) => {
  const h = await harness(t);
  await h.client.request(LISTEN, listenBody(true, [ctxOf('a', ''), ctxOf('b', '')]));
  assert.equal(h.listening.listeners.size(), 2);
  h.stream.end();
  for (let i = 0; i < 300 && h.grpc.connectionCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(h.listening.listeners.size(), 0);
  assert.equal(h.listening.listeners.connectionCount(), 0);
});

test('auth: a batch listen needs read on every namespace its contexts name', T, async (t) => {
  const h = await harness(t, {}, true);
  const token = (await h.auth!.login('dev-reader', 'pw')).accessToken;
  const ok = await h.client.request(LISTEN, listenBody(true, [ctxOf('a', '', 'dev')]), { headers: { accessToken: token } });
  assert.equal(ok.body['resultCode'], 200, JSON.stringify(ok.body));
  const mixed = await h.client.request(LISTEN, listenBody(true, [ctxOf('a', '', 'dev'), ctxOf('secret', 'guess', 'prod')]), { headers: { accessToken: token } });
  assert.equal(mixed.type, 'ConfigChangeBatchListenResponse');
  assert.equal(mixed.body['errorCode'], 403);
  assert.equal(h.listening.listeners.size(), 1);
});

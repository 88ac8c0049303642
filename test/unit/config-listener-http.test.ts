/**
 * The config listener HTTP routes in-process (docs/config-center.md "Listening and pushes"): the
 * long poll (immediate answer, hold and release by a change, timeout, no-hang-up, the cap, bad
 * input → Nacos' 400 with nothing held), the listener status queries, and the long poll's auth
 * resource (every namespace its entries name).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { AppContext } from '../../src/app-context.js';
import { ConfigService } from '../../src/config-center/config-service.js';
import { ConfigState } from '../../src/config-center/config-state.js';
import { contentMd5 } from '../../src/config-center/config-keys.js';
import { ConfigListening } from '../../src/config-center/listening.js';
import type { ConfigKey } from '../../src/config-center/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createHttpServer } from '../../src/transport/http/http-server.js';
import { createHttpContext, json, qs } from './helpers/http-context.js';

const LISTENER = '/nacos/v1/cs/configs/listener';
const who = { srcUser: 'nacos', srcIp: '127.0.0.1' };
const SECRET = Buffer.alloc(32, 9).toString('base64');

function setup(properties: Record<string, string> = {}, auth = false, defer?: (run: () => void) => void) {
  const clock = new ManualClock();
  const base = createHttpContext({ clock, properties, auth });
  const state = new ConfigState();
  base.store.onApply((b) => state.apply(b));
  const center = new ConfigService({ store: base.store, state, clock, maxContent: 1000, maxGrayVersions: 10, maxConfigs: 1000 });
  const connections: { id: string; clientIp: string }[] = [];
  const listening = new ConfigListening({
    center,
    clock,
    log: silentLogger(),
    transport: { push: () => Promise.resolve(), isConnected: () => true, disconnect: () => undefined },
    connectionIp: (id) => connections.find((c) => c.id === id)?.clientIp,
    connections: () => connections,
    cfg: { ackTimeoutMs: 3000, maxTries: 50, retryStepMs: 2000, maxLongPolls: base.config.int('nomen.config.long-poll.max-holders') },
    defer,
  });
  const ctx: AppContext = { ...base.ctx, configCenter: center, configListening: listening };
  const app = createHttpServer(ctx);
  const publish = (dataId: string, content: string, tenant = 'public') => center.publish({ tenant, group: 'DEFAULT_GROUP', dataId, content, ...who });
  return { clock, app, center, listening, publish, connections, base };
}

const entry = (dataId: string, md5: string, tenant?: string) => `${dataId}\u0002DEFAULT_GROUP\u0002${md5}${tenant === undefined ? '' : `\u0002${tenant}`}\u0001`;

function poll(app: FastifyInstance, body: Record<string, string>, headers: Record<string, string> = { 'Long-Pulling-Timeout': '30000' }): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: LISTENER, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf8', ...headers }, payload: qs(body) });
}

/** Polls `ok` on the event loop (a real socket's request reaching the handler). */
async function waitUntil(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !ok(); i++) await new Promise<void>((r) => setTimeout(r, 5));
  assert.ok(ok(), 'condition not reached');
}

/** Lets the event loop run (inject's request reaches the handler). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('long polling over HTTP', () => {
  it('answers at once with the keys whose md5 differs (tenant word only when sent)', async () => {
    const { app, publish } = setup();
    await publish('a', 'a=1');
    await publish('b', 'b=1', 'dev');
    const r = await poll(app, { 'Listening-Configs': entry('a', '') + entry('b', 'old', 'dev') + entry('missing', ''), tenant: 'dev' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, 'a%02DEFAULT_GROUP%01b%02DEFAULT_GROUP%02dev%01\n');
    assert.equal(r.headers['cache-control'], 'no-cache,no-store');
    assert.equal(r.headers['pragma'], 'no-cache');
  });

  it('holds an up-to-date poll and releases it at once when a listened key changes', async () => {
    const { app, publish, listening, clock } = setup();
    await publish('a', 'a=1');
    const pending = poll(app, { 'Listening-Configs': entry('a', contentMd5('a=1')) + entry('other', '') });
    await settle();
    assert.equal(listening.polls.size(), 1, 'held');
    await publish('a', 'a=1'); // identical content: no change
    await settle();
    assert.equal(listening.polls.size(), 1, 'still held after a re-publish of the same content');
    clock.advance(1000);
    await publish('a', 'a=2');
    const r = await pending;
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, 'a%02DEFAULT_GROUP%01\n');
    assert.equal(listening.polls.size(), 0);
  });

  it('the publish is answered before the fan-out, which runs later in apply order', async () => {
    const deferred: (() => void)[] = [];
    const { app, publish, listening } = setup({}, false, (run) => deferred.push(run));
    await publish('a', 'a=1');
    await publish('b', 'b=1');
    deferred.splice(0).forEach((run) => run());
    const answers: string[] = [];
    const pa = poll(app, { 'Listening-Configs': entry('a', contentMd5('a=1')) }).then((r) => void answers.push(r.body));
    const pb = poll(app, { 'Listening-Configs': entry('b', contentMd5('b=1')) }).then((r) => void answers.push(r.body));
    await settle();
    assert.equal(listening.polls.size(), 2);
    await publish('b', 'b=2');
    await publish('a', 'a=2');
    await settle();
    assert.equal(listening.polls.size(), 2, 'the publishes resolved with the fan-out still queued');
    assert.equal(deferred.length, 1, 'one drain for the queued changes');
    deferred.splice(0).forEach((run) => run());
    await Promise.all([pa, pb]);
    assert.deepEqual(answers, ['b%02DEFAULT_GROUP%01\n', 'a%02DEFAULT_GROUP%01\n']);
    listening.stop();
  });

  it('a removal releases the poll too', async () => {
    const { app, publish, center } = setup();
    await publish('a', 'a=1');
    const pending = poll(app, { 'Listening-Configs': entry('a', contentMd5('a=1')) });
    await settle();
    await center.remove({ tenant: 'public', group: 'DEFAULT_GROUP', dataId: 'a', ...who });
    assert.equal((await pending).body, 'a%02DEFAULT_GROUP%01\n');
  });

  it('the hold ends after Long-Pulling-Timeout − 500 ms with an empty 200', async () => {
    const { app, clock, listening } = setup();
    const pending = poll(app, { 'Listening-Configs': entry('a', '') });
    await settle();
    clock.advance(29_499);
    await settle();
    assert.equal(listening.polls.size(), 1);
    clock.advance(1);
    const r = await pending;
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, '');
  });

  it('no hang-up, or no timeout header (short poll): an empty 200 at once', async () => {
    const { app } = setup();
    const r1 = await poll(app, { 'Listening-Configs': entry('a', '') }, { 'Long-Pulling-Timeout': '30000', 'Long-Pulling-Timeout-No-Hangup': 'true' });
    assert.equal(r1.statusCode, 200);
    assert.equal(r1.body, '');
    const r2 = await poll(app, { 'Listening-Configs': entry('a', '') }, {});
    assert.equal(r2.statusCode, 200);
    assert.equal(r2.body, '');
  });

  it('bad input is Nacos\' 400 and nothing is held', async () => {
    const { app, listening } = setup();
    const cases: [Record<string, string>, Record<string, string> | undefined, string][] = [
      [{}, undefined, 'caused: invalid probeModify;'],
      [{ 'Listening-Configs': '' }, undefined, 'caused: invalid probeModify;'],
      [{ 'Listening-Configs': 'a\u0002DEFAULT_GROUP\u0001' }, undefined, 'caused: invalid probeModify;'],
      [{ 'Listening-Configs': 'a\u0002G\u0002m\u0002t\u0002x\u0001' }, undefined, 'caused: invalid probeModify;'],
      [{ 'Listening-Configs': entry('bad id$', '') }, undefined, "Param 'dataId' is illegal, illegal characters should not appear in the param."],
      [{ 'Listening-Configs': entry('a', '') }, { 'Long-Pulling-Timeout': 'soon' }, 'caused: For input string: "soon";'],
    ];
    for (const [body, headers, text] of cases) {
      const r = await poll(app, body, headers);
      assert.equal(r.statusCode, 400, JSON.stringify(body));
      assert.equal(r.body, text);
    }
    assert.equal(listening.polls.size(), 0);
  });

  it('over the holder cap a poll is answered 503 after a pause', async () => {
    const { app, clock, listening } = setup({ 'nomen.config.long-poll.max-holders': '1' });
    const first = poll(app, { 'Listening-Configs': entry('a', '') });
    const second = poll(app, { 'Listening-Configs': entry('a', '') });
    await settle();
    assert.equal(listening.polls.size(), 1);
    clock.advance(1000);
    const r = await second;
    assert.equal(r.statusCode, 503);
    clock.advance(30_000);
    assert.equal((await first).statusCode, 200);
  });
});

/** One raw HTTP/1.1 exchange on a new socket: the response's status line, headers (lowercased, in order) and body. */
async function rawExchange(port: number, request: string, afterSend: () => Promise<void>): Promise<{ status: string; headers: [string, string][]; body: string }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(request);
  await afterSend();
  for (;;) {
    const text = Buffer.concat(chunks).toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end >= 0) {
      const [status, ...lines] = text.slice(0, end).split('\r\n');
      const headers = lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]);
      const length = Number(headers.find(([k]) => k === 'content-length')?.[1] ?? NaN);
      if (text.length >= end + 4 + length) {
        socket.destroy();
        return { status: status!, headers, body: text.slice(end + 4, end + 4 + length) };
      }
    }
    await once(socket, 'data');
  }
}

describe('long poll answer bytes', () => {
  // What Nacos clients read of a released poll: status, the no-cache headers, the text type, the
  // length, keep-alive, and the body; the same whether fastify or the raw response writes it.
  const expected = (length: number): [string, string][] => [
    ['x-content-type-options', 'nosniff'],
    ['pragma', 'no-cache'],
    ['expires', 'Thu, 01 Jan 1970 00:00:00 GMT'],
    ['cache-control', 'no-cache,no-store'],
    ['content-type', 'text/plain;charset=UTF-8'],
    ['content-length', String(length)],
    ['connection', 'keep-alive'],
    ['keep-alive', 'timeout=72'],
  ];
  const request = (body: string) =>
    `POST ${LISTENER} HTTP/1.1\r\nHost: 127.0.0.1\r\nLong-Pulling-Timeout: 30000\r\nContent-Type: application/x-www-form-urlencoded; charset=utf8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const withoutDate = (h: [string, string][]) => h.filter(([k]) => k !== 'date');

  for (const kind of ['released by a change', 'answered at once', 'held to the end'] as const) {
    it(`are unchanged when ${kind}`, async () => {
      const { app, publish, listening, clock } = setup();
      await publish('a', 'a=1');
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const port = (app.server.address() as AddressInfo).port;
        const md5 = kind === 'answered at once' ? 'stale' : contentMd5('a=1');
        const r = await rawExchange(port, request(qs({ 'Listening-Configs': entry('a', md5) })), async () => {
          if (kind === 'answered at once') return;
          await waitUntil(() => listening.polls.size() === 1);
          if (kind === 'released by a change') await publish('a', 'a=2');
          else clock.advance(29_500);
        });
        const body = kind === 'held to the end' ? '' : 'a%02DEFAULT_GROUP%01\n';
        assert.equal(r.status, 'HTTP/1.1 200 OK');
        assert.deepEqual(withoutDate(r.headers), expected(body.length));
        assert.match(r.headers.find(([k]) => k === 'date')?.[1] ?? '', /GMT$/);
        assert.equal(r.body, body);
      } finally {
        await app.close();
      }
    });
  }
});

describe('listener status queries', () => {
  it('show long polls and gRPC listeners by key and by IP', async () => {
    const { app, publish, listening, connections } = setup();
    await publish('a', 'a=1');
    const md5 = contentMd5('a=1');
    const pending = poll(app, { 'Listening-Configs': entry('a', md5) });
    await settle();
    const key: ConfigKey = { tenant: 'public', group: 'DEFAULT_GROUP', dataId: 'a' };
    connections.push({ id: 'c1', clientIp: '127.0.0.7' });
    listening.listeners.listen('c1', { key, md5: 'old', sentTenant: null });
    listening.listeners.listen('c1', { key: { ...key, tenant: 'dev' }, md5: 'x', sentTenant: 'dev' });

    const byKey = await app.inject({ method: 'GET', url: `${LISTENER}?${qs({ dataId: 'a', group: '', tenant: '' })}` });
    assert.equal(byKey.statusCode, 200);
    assert.deepEqual(json(byKey), { collectStatus: 200, lisentersGroupkeyStatus: { '127.0.0.1': md5, '127.0.0.7': 'old' } });

    const byIp = await app.inject({ method: 'GET', url: `/nacos/v1/cs/listener?${qs({ ip: '127.0.0.7' })}` });
    assert.deepEqual(json(byIp), { collectStatus: 200, lisentersGroupkeyStatus: { 'a+DEFAULT_GROUP+public': 'old' } });
    const all = await app.inject({ method: 'GET', url: `/nacos/v1/cs/listener?${qs({ ip: '127.0.0.7', all: 'true' })}` });
    assert.deepEqual(json(all), { collectStatus: 200, lisentersGroupkeyStatus: { 'a+DEFAULT_GROUP+public': 'old', 'a+DEFAULT_GROUP+dev': 'x' } });

    const v3 = await app.inject({ method: 'GET', url: `/nacos/v3/admin/cs/config/listener?${qs({ dataId: 'a', groupName: 'DEFAULT_GROUP' })}` });
    assert.deepEqual(json(v3), { code: 0, message: 'success', data: { queryType: 'config', listenersStatus: { '127.0.0.1': md5, '127.0.0.7': 'old' } } });
    const v3ip = await app.inject({ method: 'GET', url: `/nacos/v3/admin/cs/listener?${qs({ ip: '127.0.0.1' })}` });
    assert.deepEqual(json(v3ip), { code: 0, message: 'success', data: { queryType: 'ip', listenersStatus: { 'a+DEFAULT_GROUP+public': md5 } } });

    const missing = await app.inject({ method: 'GET', url: `${LISTENER}?group=G` });
    assert.equal(missing.statusCode, 400);
    assert.equal(json<{ message: string }>(missing).message, "Required request parameter 'dataId' for method parameter type String is not present");
    await publish('a', 'a=2');
    await pending;
  });
});

describe('long poll auth', () => {
  it('needs read on every namespace the entries name, not only the tenant parameter', async () => {
    const { app, base } = setup({ 'nacos.core.auth.enabled': 'true', 'nacos.core.auth.plugin.nacos.token.secret.key': SECRET }, true);
    const auth = base.auth!;
    await auth.initAdmin('adminpw');
    await auth.createUser('dev-reader', 'pw');
    await auth.addRole('devs', 'dev-reader');
    await auth.addPermission('devs', 'dev:*:*', 'r');
    const creds = { username: 'dev-reader', password: 'pw' };
    const noHangup = { 'Long-Pulling-Timeout': '30000', 'Long-Pulling-Timeout-No-Hangup': 'true' };
    const ok = await poll(app, { 'Listening-Configs': entry('a', '', 'dev'), tenant: 'dev', ...creds }, noHangup);
    assert.equal(ok.statusCode, 200, ok.body);
    const sneaky = await poll(app, { 'Listening-Configs': entry('a', '', 'dev') + entry('secret', 'guess', 'prod'), tenant: 'dev', ...creds }, noHangup);
    assert.equal(sneaky.statusCode, 403, sneaky.body);
    const publicKey = await poll(app, { 'Listening-Configs': entry('a', ''), tenant: 'dev', ...creds }, noHangup);
    assert.equal(publicKey.statusCode, 403, 'a 3-word entry is in public');
    const byIp = await app.inject({ method: 'GET', url: `/nacos/v1/cs/listener?${qs({ ip: '127.0.0.1', ...creds })}` });
    assert.equal(byIp.statusCode, 403, 'listeners by IP is admin only');
  });
});

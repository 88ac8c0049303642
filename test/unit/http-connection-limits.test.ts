/**
 * HTTP connection limits (src/transport/http/connection-limits.ts) on a real listening socket:
 * silent, slow-header and slow-body connections are closed, a handler may still answer late (long
 * polling), connections over the cap are closed at once. Every wait is bounded; no timing asserts.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Config, ConfigError } from '../../src/config/config.js';
import { httpLimitsFrom, nodeServerOptions } from '../../src/transport/http/connection-limits.js';
import { createHttpContext } from './helpers/http-context.js';

async function listen(tc: TestContext, properties: Record<string, string>): Promise<number> {
  const { app } = createHttpContext({ properties });
  app.get('/test/late', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    return 'late';
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  tc.after(() => app.close());
  return (app.server.address() as AddressInfo).port;
}

interface Outcome {
  closed: boolean;
  text: string;
}

/** Opens a connection, writes `chunks` (if any), and waits (at most `boundMs`) for the server to close it. */
async function open(port: number, chunks: string[] = []): Promise<Socket> {
  const s = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  for (const c of chunks) s.write(c);
  return s;
}

function closedWithin(s: Socket, boundMs: number): Promise<Outcome> {
  let text = '';
  s.on('data', (b: Buffer) => (text += b.toString('utf8')));
  s.on('error', () => undefined);
  return new Promise((resolve) => {
    if (s.destroyed) return resolve({ closed: true, text });
    const t = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, text });
    }, boundMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve({ closed: true, text });
    });
  });
}

/** A full GET on an open connection; resolves with the status line. */
function get(s: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    s.once('data', (b: Buffer) => resolve(b.toString('utf8').split('\r\n')[0] ?? ''));
    s.once('error', reject);
    s.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
  });
}

/** One GET on a fresh connection: its status line, or '' when the server closed it unanswered. */
async function servedOnce(port: number): Promise<string> {
  const s = await open(port, ['GET /nacos/v1/console/health/liveness HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n']);
  const r = await closedWithin(s, 10_000);
  return r.text.split('\r\n')[0] ?? '';
}

const FAST = { 'nomen.http.headers-timeout-ms': '300', 'nomen.http.request-timeout-ms': '1000' };

test('a connection that never sends a byte is closed after the headers timeout', async (tc) => {
  const port = await listen(tc, FAST);
  const r = await closedWithin(await open(port), 10_000);
  assert.equal(r.closed, true, 'still open');
});

test('slow headers (a partial request, then nothing): 408 and closed after the headers timeout', async (tc) => {
  const port = await listen(tc, FAST);
  const r = await closedWithin(await open(port, ['GET /nacos/v1/console/health/liveness HTTP/1.1\r\nHost: t\r\nX-Slow: 1']), 10_000);
  assert.equal(r.closed, true, 'still open');
  assert.match(r.text, /^HTTP\/1\.1 408/);
});

test('a slow body: 408 and closed after the request timeout', async (tc) => {
  const port = await listen(tc, FAST);
  const head = 'POST /nacos/v1/ns/instance HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n';
  const s = await open(port, [head, 'serviceName=a']);
  // A byte now and then: still too slow for the whole request.
  const drip = setInterval(() => s.write('&'), 100);
  const r = await closedWithin(s, 10_000);
  clearInterval(drip);
  assert.equal(r.closed, true, 'still open');
  assert.match(r.text, /^HTTP\/1\.1 408/);
});

test('a handler may answer after the request timeout (long polling is not cut)', async (tc) => {
  const port = await listen(tc, FAST);
  const s = await open(port);
  tc.after(() => s.destroy());
  assert.match(await get(s, '/test/late'), /^HTTP\/1\.1 200/);
});

test('connections above the cap are closed at once; those under it are served', async (tc) => {
  const port = await listen(tc, { 'nomen.http.max-connections': '2' });
  const a = await open(port);
  const b = await open(port);
  tc.after(() => {
    a.destroy();
    b.destroy();
  });
  // Both are counted before the third arrives: one request each.
  assert.match(await get(a, '/nacos/v1/console/health/liveness'), /^HTTP\/1\.1 200/);
  assert.match(await get(b, '/nacos/v1/console/health/liveness'), /^HTTP\/1\.1 200/);
  const c = await open(port, ['GET /nacos/v1/console/health/liveness HTTP/1.1\r\nHost: t\r\n\r\n']);
  const r = await closedWithin(c, 10_000);
  assert.equal(r.closed, true, 'the third connection stayed open');
  assert.equal(r.text, '', 'and got no answer');
  a.destroy();
  await new Promise((res) => a.once('close', res));
  // A slot is free again (once the server has seen the close).
  let status = '';
  for (let i = 0; i < 50 && !/^HTTP\/1\.1 200/.test(status); i++) {
    status = await servedOnce(port);
    if (status === '') await new Promise((res) => setTimeout(res, 20));
  }
  assert.match(status, /^HTTP\/1\.1 200/);
});

test('defaults: headers 10 s, request 60 s (long-poll friendly), checked often enough; headers > request is refused', () => {
  const o = nodeServerOptions(httpLimitsFrom(Config.from([])));
  assert.equal(o.headersTimeout, 10_000);
  assert.ok((o.requestTimeout ?? 0) >= 60_000);
  assert.ok((o.connectionsCheckingInterval ?? Infinity) <= o.headersTimeout! / 2);
  assert.throws(
    () => httpLimitsFrom(Config.from([{ source: 't', values: { 'nomen.http.headers-timeout-ms': '5000', 'nomen.http.request-timeout-ms': '2000' } }])),
    (e: unknown) => e instanceof ConfigError && /nomen\.http\.headers-timeout-ms/.test(e.message) && /nomen\.http\.request-timeout-ms/.test(e.message),
  );
});

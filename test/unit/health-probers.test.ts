/** The real probes against real loopback servers on ephemeral ports. */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, test } from 'node:test';
import { httpProbe, netProber, tcpProbe } from '../../src/health/net-prober.js';
import { verdictOf } from '../../src/health/probe.js';
import { closedPort } from './helpers/ports.js';

const IP = '127.0.0.1';
const servers: Server[] = [];

async function listen<T extends Server>(srv: T): Promise<number> {
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, IP, r));
  return (srv.address() as AddressInfo).port;
}

after(() => {
  for (const s of servers) s.close();
});

test('TCP: a listening socket is healthy, a closed port is refused', async () => {
  const port = await listen(createServer((sock) => sock.destroy()));
  assert.deepEqual(await tcpProbe(IP, port, 2000), { ok: true });
  const refused = await tcpProbe(IP, await closedPort(), 2000);
  assert.equal(refused.ok, false);
  assert.equal(refused.refused, true);
});

test('HTTP: status, expected code, path and headers', async () => {
  let seen: { url: string | undefined; headers: IncomingHttpHeaders } | undefined;
  const port = await listen(
    createHttpServer((req, res) => {
      seen = { url: req.url, headers: req.headers };
      const code = Number(req.url?.split('/')[2] ?? '200');
      res.writeHead(code).end();
    }),
  );
  const ok = await httpProbe(IP, port, '/status/200', { 'X-Probe': 'yes' }, 200, 2000);
  assert.deepEqual(ok, { ok: true, status: 200 });
  assert.equal(seen?.url, '/status/200');
  assert.equal(seen?.headers['x-probe'], 'yes');
  assert.equal(seen?.headers['user-agent'], 'VIPServer');

  const busy = await httpProbe(IP, port, '/status/503', {}, 200, 2000);
  assert.equal(busy.ok, false);
  assert.equal(busy.status, 503);

  // Through the prober interface and the verdicts: 503 counts, 500 fails at once, 204 is fine when expected.
  const target = (path: string, expectedStatus: number) => ({ kind: 'HTTP' as const, ip: IP, port, timeoutMs: 2000, path, headers: {}, expectedStatus });
  assert.equal(verdictOf(target('/status/503', 200), await netProber.probe(target('/status/503', 200))), 'fail');
  assert.equal(verdictOf(target('/status/500', 200), await netProber.probe(target('/status/500', 200))), 'fail-now');
  assert.equal(verdictOf(target('/status/204', 204), await netProber.probe(target('/status/204', 204))), 'success');
  assert.equal(verdictOf(target('/status/200', 204), await netProber.probe(target('/status/200', 204))), 'fail-now');
});

test('HTTP: refused, timeout and an invalid path', async () => {
  const refused = await httpProbe(IP, await closedPort(), '/', {}, 200, 2000);
  assert.equal(refused.refused, true);

  // Accepts the connection but never answers.
  const port = await listen(createServer(() => {}));
  const slow = await httpProbe(IP, port, '/', {}, 200, 200);
  assert.equal(slow.ok, false);
  assert.equal(slow.timedOut, true);

  const bad = await httpProbe(IP, port, '/a b', {}, 200, 200);
  assert.equal(bad.ok, false);
  assert.equal(bad.refused, undefined);
});

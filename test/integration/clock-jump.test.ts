/**
 * A real server whose wall clock is stepped +10 min and then −10 min (libfaketime with
 * DONT_FAKE_MONOTONIC=1, as in the chaos harness: test/chaos/clock.ts): a heartbeating ephemeral
 * instance is never dropped or marked unhealthy, and a silent one still expires after its 30 s
 * (docs/reliability.md "Clock jumps"). Skipped where libfaketime is not installed (Debian package
 * `faketime`).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { faketimeEnv, findFaketimeLib, writeOffset } from '../chaos/clock.js';
import { TestServer, httpRequest, jsonOf, sleep } from './helpers/server.js';

const lib = findFaketimeLib();
const SVC = 'clock-jump-svc';
const BEATING = 7001;
const SILENT = 7002;
let server: TestServer;
let dir = '';
let offsetFile = '';

before(async () => {
  if (!lib) return;
  dir = await mkdtemp(join(tmpdir(), 'nomen-clock-'));
  offsetFile = join(dir, 'offset');
  writeOffset(offsetFile, 0);
  server = await TestServer.start({ name: 'clock-jump', env: faketimeEnv(lib, offsetFile) });
});

after(async () => {
  await server?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function register(port: number): Promise<void> {
  const r = await httpRequest(server.port, 'POST', '/nacos/v1/ns/instance', { form: { serviceName: SVC, ip: '127.0.0.9', port, ephemeral: 'true' } });
  assert.equal(r.status, 200, r.text);
}

async function beat(): Promise<void> {
  const r = await httpRequest(server.port, 'PUT', '/nacos/v1/ns/instance/beat', { query: { serviceName: SVC, ip: '127.0.0.9', port: BEATING } });
  assert.equal(r.status, 200, r.text);
  assert.equal((jsonOf<{ code: number }>(r)).code, 10200, 'the beating instance is known at every beat');
}

async function hosts(): Promise<Map<number, boolean>> {
  const r = await httpRequest(server.port, 'GET', '/nacos/v1/ns/instance/list', { query: { serviceName: SVC, healthyOnly: 'false' } });
  return new Map(jsonOf<{ hosts: { port: number; healthy: boolean }[] }>(r).hosts.map((h) => [h.port, h.healthy]));
}

/** Beats every second for `ms`, checking after each beat that the beating instance is listed healthy. */
async function beatFor(ms: number): Promise<Map<number, boolean>> {
  const end = Date.now() + ms;
  let last = await hosts();
  while (Date.now() < end) {
    await beat();
    await sleep(1000);
    last = await hosts();
    assert.equal(last.get(BEATING), true, `the beating instance is listed healthy: ${JSON.stringify([...last])}`);
  }
  return last;
}

async function serverOffsetS(): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${server.port}/nacos/v1/console/health/liveness`);
  await r.text();
  return Math.round((Date.parse(r.headers.get('date') ?? '') - Date.now()) / 1000);
}

test('wall-clock steps of +10 min and −10 min expire no beating instance; a silent one expires after 30 s', { skip: lib ? false : 'libfaketime not installed (apt-get install faketime)' }, async () => {
  await register(BEATING);
  await register(SILENT);
  const silentSince = performance.now();
  await beatFor(2000);
  writeOffset(offsetFile, 600);
  await beatFor(3000); // libfaketime rereads the file within ~2 s
  assert.ok(Math.abs((await serverOffsetS()) - 600) <= 2, 'the server runs 10 min ahead');
  let seen = await beatFor(6000); // two expiry checks (5 s) on the stepped clock
  assert.equal(seen.get(SILENT), true, 'the silent instance is not expired by the forward step');
  writeOffset(offsetFile, -600);
  await beatFor(3000);
  assert.ok(Math.abs((await serverOffsetS()) + 600) <= 2, 'the server runs 10 min behind');
  // The silent instance registered ~14 s ago: unhealthy after 15 s, removed after 30 s (checked
  // every 5 s), on the monotonic clock, whatever the wall clock did meanwhile.
  let goneAfterMs = Infinity;
  while (performance.now() - silentSince < 60_000) {
    seen = await beatFor(1000);
    if (!seen.has(SILENT)) {
      goneAfterMs = performance.now() - silentSince;
      break;
    }
  }
  assert.ok(goneAfterMs >= 30_000 && goneAfterMs < 45_000, `the silent instance expired ${goneAfterMs.toFixed(0)} ms after its registration (want 30-40 s)`);
});

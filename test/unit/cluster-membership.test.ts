import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseMemberAddress, parseMemberList } from '../../src/cluster/member-address.js';
import { MemberManager, type MembershipView, type ProbeResult } from '../../src/cluster/member-manager.js';
import { AddressServerLookup, DnsLookup, FileLookup, StaticLookup } from '../../src/cluster/lookup.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/observability/logger.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
/** Polls `cond` (real time, bounded) — file reads complete asynchronously. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('cluster.conf parsing: comments, commas, default port, IPv6, invalid entries', () => {
  const { members, invalid } = parseMemberList('# header\n127.0.0.2:8848\n127.0.0.1 # trailing\n127.0.0.3:9000,127.0.0.4\n\nbad:port:x\n[::1]:8850\n', 8848);
  assert.deepEqual(members.map((m) => m.address), ['127.0.0.1:8848', '127.0.0.2:8848', '127.0.0.3:9000', '127.0.0.4:8848', '[::1]:8850']);
  assert.deepEqual(invalid, ['bad:port:x']);
  assert.equal(parseMemberAddress('127.0.0.1:0', 8848), null);
  assert.equal(parseMemberAddress('127.0.0.1:70000', 8848), null);
});

function manager(clock: ManualClock, results: Map<string, ProbeResult>) {
  const self = parseMemberAddress('127.0.0.1:8848', 8848)!;
  const m = new MemberManager(self, clock, async (peer) => results.get(peer.address) ?? { ok: true }, {
    reportIntervalMs: 2000,
    unhealthyProbeIntervalMs: 5000,
    maxFailAccessCnt: 3,
  });
  const views: MembershipView[] = [];
  m.onChange((v) => views.push(v));
  return { m, views };
}

test('member states: failures → SUSPICIOUS → DOWN after more than 3; refused → DOWN at once; success → UP', async () => {
  const clock = new ManualClock();
  const results = new Map<string, ProbeResult>();
  const { m, views } = manager(clock, results);
  m.applyLookup(parseMemberList('127.0.0.1:8848\n127.0.0.2:8848\n127.0.0.3:8848', 8848).members);
  assert.deepEqual(views.at(-1)!.healthy, ['127.0.0.1:8848', '127.0.0.2:8848', '127.0.0.3:8848']);
  results.set('127.0.0.2:8848', { ok: false, refused: false });
  for (let i = 0; i < 3; i++) m.onProbeResult('127.0.0.2:8848', { ok: false, refused: false });
  assert.equal(m.get('127.0.0.2:8848')!.state, 'SUSPICIOUS');
  assert.ok(views.at(-1)!.healthy.includes('127.0.0.2:8848'), 'SUSPICIOUS stays in the ring');
  m.onProbeResult('127.0.0.2:8848', { ok: false, refused: false });
  assert.equal(m.get('127.0.0.2:8848')!.state, 'DOWN');
  assert.deepEqual(views.at(-1)!.healthy, ['127.0.0.1:8848', '127.0.0.3:8848']);
  m.onProbeResult('127.0.0.3:8848', { ok: false, refused: true });
  assert.equal(m.get('127.0.0.3:8848')!.state, 'DOWN');
  // The periodic unhealthy probe brings them back when they answer.
  results.clear();
  m.start();
  clock.advance(5000);
  await flush();
  assert.equal(m.get('127.0.0.2:8848')!.state, 'UP');
  assert.equal(m.get('127.0.0.2:8848')!.failAccessCnt, 0);
  assert.equal(m.get('127.0.0.3:8848')!.state, 'UP');
  m.stop();
});

test('lookup application: empty ignored, self always present, known members keep state, unknown reporters not added', () => {
  const clock = new ManualClock();
  const { m } = manager(clock, new Map());
  assert.equal(m.applyLookup([]), false);
  m.applyLookup(parseMemberList('127.0.0.2:8848', 8848).members);
  assert.deepEqual(m.view().all.map((x) => x.address), ['127.0.0.1:8848', '127.0.0.2:8848']);
  m.onProbeResult('127.0.0.2:8848', { ok: false, refused: true });
  assert.equal(m.applyLookup(parseMemberList('127.0.0.2:8848', 8848).members), false, 'same list: no change');
  m.applyLookup(parseMemberList('127.0.0.2:8848\n127.0.0.5:8848', 8848).members);
  assert.equal(m.get('127.0.0.2:8848')!.state, 'DOWN', 'state kept across list changes');
  assert.equal(m.get('127.0.0.5:8848')!.state, 'UP');
  assert.equal(m.onReportReceived('127.0.0.9:8848'), false);
  assert.equal(m.get('127.0.0.9:8848'), undefined);
  assert.equal(m.onReportReceived('127.0.0.2:8848', { version: '0.1.0' }), true);
  assert.equal(m.get('127.0.0.2:8848')!.state, 'UP');
});

test('lookups: static list, cluster.conf reloaded on change, address server, DNS', async () => {
  const clock = new ManualClock();
  const log = silentLogger();
  const got: string[][] = [];
  const record = (l: { address: string }[]) => got.push(l.map((x) => x.address));
  await new StaticLookup('127.0.0.1:8848,127.0.0.2', 8848).start(record);
  assert.deepEqual(got.at(-1), ['127.0.0.1:8848', '127.0.0.2:8848']);
  await assert.rejects(new StaticLookup('127.0.0.1:99999', 8848).start(record), /invalid member/);

  const dir = mkdtempSync(join(tmpdir(), 'nomen-conf-'));
  const file = join(dir, 'cluster.conf');
  writeFileSync(file, '127.0.0.1:8848\n');
  const fl = new FileLookup(file, clock, log, 1000, 8848);
  await fl.start(record);
  const n = got.length;
  clock.advance(1000);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(got.length, n, 'unchanged file: no report');
  writeFileSync(file, '127.0.0.1:8848\n127.0.0.3:8848\n');
  clock.advance(1000);
  await until(() => got.length > n);
  assert.deepEqual(got.at(-1), ['127.0.0.1:8848', '127.0.0.3:8848']);
  fl.stop();

  let body = '127.0.0.1:8848\r\n127.0.0.4:8848';
  const as = new AddressServerLookup('http://127.0.0.1:1/nacos/serverlist', async () => body, clock, log, 5000, 8848);
  await as.start(record);
  assert.deepEqual(got.at(-1), ['127.0.0.1:8848', '127.0.0.4:8848']);
  body = '127.0.0.4:8848';
  const before = got.length;
  clock.advance(5000);
  await until(() => got.length > before);
  assert.deepEqual(got.at(-1), ['127.0.0.4:8848']);
  as.stop();

  const dns = new DnsLookup('nomen.headless', 8848, async () => ['127.0.0.7', '127.0.0.6'], clock, log, 5000);
  await dns.start(record);
  assert.deepEqual(got.at(-1), ['127.0.0.6:8848', '127.0.0.7:8848']);
  dns.stop();
});

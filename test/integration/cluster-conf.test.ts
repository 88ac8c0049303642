/**
 * Member list from cluster.conf files (`--cluster-conf`), edited while the cluster runs: a third
 * member is started and added to the first two members' files; they list it within the lookup
 * interval and it gets the data (start-up snapshot and live syncs); removed from the files, it
 * disappears from their lists and gets no more data.
 *
 * Shortened timings (`--property`): nomen.cluster.lookup.interval-ms=1000 (the file lookup re-reads
 * at most every 1 s anyway), nomen.cluster.member.report-interval-ms=500 and
 * ...unhealthy-probe-interval-ms=1000 (a new member is probed UP within about a second),
 * nacos.core.protocol.distro.data.verify.intervalMs=1000.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { figure, responsibleFor, TestCluster, type ClusterMember } from './helpers/cluster.js';
import { RustClient } from './helpers/rust-client.js';
import { addrs, waitFor } from './helpers/server.js';

const PROPS = {
  'nomen.cluster.lookup.interval-ms': 1000,
  'nomen.cluster.member.report-interval-ms': 500,
  'nomen.cluster.member.unhealthy-probe-interval-ms': 1000,
  'nacos.core.protocol.distro.data.verify.intervalMs': 1000,
};
const LOOKUP_MS = PROPS['nomen.cluster.lookup.interval-ms'];
const NO_EXPIRY = JSON.stringify({
  'preserved.heart.beat.interval': '5000',
  'preserved.heart.beat.timeout': '600000',
  'preserved.ip.delete.timeout': '600000',
});
const SVC = 'DEFAULT_GROUP@@it-clconf';
const ms = (x: number): string => `${Math.round(x)} ms`;

describe('cluster.conf edits while running', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let M1: ClusterMember;
  let M2: ClusterMember;
  let M3: ClusterMember;
  const rust: RustClient[] = [];

  async function register(via: ClusterMember, ip: string, port: number): Promise<void> {
    const r = await via.request('POST', '/nacos/v1/ns/instance', { form: { serviceName: SVC, ip, port, ephemeral: true, metadata: NO_EXPIRY } });
    assert.equal(r.status, 200, `register ${ip}:${port} via ${via.name}: HTTP ${r.status} ${r.text}`);
  }

  const listed = async (m: ClusterMember): Promise<string[]> => (await m.nodes()).map((n) => n.address).sort();
  const hostsOn = async (m: ClusterMember): Promise<string[]> => addrs((await m.listInstances(SVC)).hosts);

  before(async () => {
    cluster = await TestCluster.start(2, { name: 'clconf', properties: PROPS, memberList: 'file' });
    M1 = cluster.member('A');
    M2 = cluster.member('B');
  });

  after(async () => {
    await Promise.allSettled(rust.map((c) => c.kill()));
    await cluster?.dispose();
  });

  it('a member added to / removed from the cluster.conf files joins (gets the data) and leaves', async () => {
    // Data before the third member exists: HTTP (ip:port clients) through both, and a gRPC client on M1.
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      await register(i % 2 === 0 ? M1 : M2, '127.0.20.1', 9100 + i);
      expected.push(`127.0.20.1:${9100 + i}`);
    }
    const r = await RustClient.start(M1.port, { label: 'clconf-r' });
    rust.push(r);
    await r.register('it-clconf', { ip: '127.0.20.2', port: 9200 });
    expected.push('127.0.20.2:9200');
    expected.sort();
    await waitFor('M1 and M2 agree', async () => ((await hostsOn(M1)).join() === expected.join() && (await hostsOn(M2)).join() === expected.join() ? true : undefined), 10_000, 50);
    assert.deepEqual(await listed(M1), [M1.address, M2.address].sort());

    // Start the third member (its own file lists all three), then add it to the first two files.
    M3 = await cluster.addMember('C', [M1.address, M2.address]);
    const { spawnedAt } = M3.spawn();
    const three = [M1.address, M2.address, M3.address].sort();
    const tAdd = performance.now();
    await Promise.all([cluster.writeConf(M1, three), cluster.writeConf(M2, three)]);
    const seen = await Promise.all(
      [M1, M2].map((m) => waitFor(`${m.name} lists the new member`, async () => ((await listed(m)).join() === three.join() ? performance.now() : undefined), LOOKUP_MS + 5000, 50)),
    );
    figure(`cluster.conf edit -> new member listed by M1 ${ms(seen[0]! - tAdd)}, M2 ${ms(seen[1]! - tAdd)} (lookup interval ${LOOKUP_MS} ms)`);

    // It becomes ready with the full view (its snapshot load succeeds once a peer accepts it).
    const readyAt = await M3.waitReady(40_000, 20);
    const first = await hostsOn(M3);
    const st = await M3.distroState();
    figure(`new member: spawn -> ready ${readyAt - spawnedAt} ms (load ${String(st.distro.loadTimeMs)} ms, warning ${String(st.distro.loadWarning)}); first ready view ${first.length}/${expected.length} instances`);
    assert.deepEqual(first, expected, 'the new member has all data on its first ready answer');
    assert.equal(st.distro.loadWarning, null);
    await waitFor(
      'M1 and M2 see the new member UP',
      async () => ((await Promise.all([M1, M2].map((m) => m.distroState()))).every((s) => s.healthy.join() === three.join()) ? true : undefined),
      10_000,
      100,
    );

    // Live syncs reach it too, and the ring of three is used for forwarding.
    const viaM3 = { ip: '127.0.20.3', port: 9300 };
    await register(M3, viaM3.ip, viaM3.port);
    await register(M1, '127.0.20.1', 9110);
    expected.push('127.0.20.3:9300', '127.0.20.1:9110');
    expected.sort();
    for (const m of [M1, M2, M3]) await waitFor(`${m.name} has the new registrations`, async () => ((await hostsOn(m)).join() === expected.join() ? true : undefined), 10_000, 50);

    // Remove it from the first two files: it disappears from their lists and gets no more data.
    const two = [M1.address, M2.address].sort();
    const tRemove = performance.now();
    await Promise.all([cluster.writeConf(M1, two), cluster.writeConf(M2, two)]);
    const gone = await Promise.all(
      [M1, M2].map((m) => waitFor(`${m.name} no longer lists the removed member`, async () => ((await listed(m)).join() === two.join() ? performance.now() : undefined), LOOKUP_MS + 5000, 50)),
    );
    figure(`cluster.conf edit -> removed member unlisted by M1 ${ms(gone[0]! - tRemove)}, M2 ${ms(gone[1]! - tRemove)}`);
    for (const m of [M1, M2]) {
      const s = await m.distroState();
      assert.deepEqual(s.healthy, two, `${m.name}: ring of two`);
      assert.ok(!(M3.address in s.distro.peers), `${m.name}: no Distro peer state for the removed member`);
    }
    // A write after the removal: on M1 and M2, not on the removed member. Pick a tag that M2 owns in
    // the ring of two and send it to M1, so forwarding uses the new ring.
    let port = 9400;
    while (responsibleFor(`127.0.20.4:${port}`, two) !== M2.address) port++;
    await register(M1, '127.0.20.4', port);
    expected.push(`127.0.20.4:${port}`);
    expected.sort();
    for (const m of [M1, M2]) await waitFor(`${m.name} has the write made after the removal`, async () => ((await hostsOn(m)).join() === expected.join() ? true : undefined), 10_000, 50);
    // Bounded look at the removed member: the write never arrives there.
    const deadline = Date.now() + 2 * PROPS['nacos.core.protocol.distro.data.verify.intervalMs'] + 500;
    while (Date.now() < deadline) {
      assert.ok(!(await hostsOn(M3)).includes(`127.0.20.4:${port}`), 'the removed member receives no new data');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});

/**
 * Persistent instances and metadata replicated by Raft across 3 real members on loopback:
 * writes on any member (HTTP ephemeral=false, the Rust SDK's PersistentInstanceRequest, operator
 * edits) are visible on every member; kill -9 of the leader in the middle of a write load loses no
 * acknowledged write; a full-cluster crash and restart keeps them all; nothing is applied twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { figure, TestCluster, type ClusterMember } from './helpers/cluster.js';
import { RustClient } from './helpers/rust-client.js';
import { addrs, jsonOf, sleep, waitFor } from './helpers/server.js';

interface RaftState {
  role: string;
  term: number;
  leader: string;
  commitIndex: number;
  appliedIndex: number;
  conf: { voters: string[] };
  stats: { duplicates: number; rejected: number };
}

const ELECTION_MS = 1000;

async function raftState(m: ClusterMember): Promise<RaftState> {
  const r = await m.get('/nacos/v1/ns/operator/raft/state');
  assert.equal(r.status, 200, r.text);
  return jsonOf<RaftState>(r);
}

async function leaderOf(members: readonly ClusterMember[]): Promise<ClusterMember> {
  return waitFor('one raft leader all members agree on', async () => {
      const states = await Promise.all(members.filter((m) => m.running).map(async (m) => ({ m, s: await raftState(m).catch(() => undefined) })));
      const leaders = states.filter((x) => x.s?.role === 'leader');
      if (leaders.length !== 1) return undefined;
      const lead = leaders[0]!;
      // every running member agrees on the leader
      return states.every((x) => x.s?.leader === lead.m.address) ? lead.m : undefined;
    }, 20_000, 50);
}

describe('Raft-replicated persistent data on 3 members', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  const rust: RustClient[] = [];

  before(async () => {
    cluster = await TestCluster.start(3, { name: 'raft', properties: { 'nacos.core.protocol.raft.data.election_timeout_ms': ELECTION_MS } });
  });

  after(async () => {
    await Promise.allSettled(rust.map((c) => c.kill()));
    await cluster?.dispose();
  });

  async function hostsEverywhere(service: string, want: string[], what: string): Promise<void> {
    const sorted = [...want].sort();
    for (const m of cluster.members) {
      await waitFor(`${what} on ${m.name}`, async () => {
          const info = await m.listInstances(service).catch(() => undefined);
          return info && JSON.stringify(addrs(info.hosts)) === JSON.stringify(sorted) ? true : undefined;
        }, 10_000, 50);
    }
  }

  it('a persistent write on any member is visible on every member, with operator edits', async () => {
    const leader = await leaderOf(cluster.members);
    const followers = cluster.members.filter((m) => m !== leader);
    for (const [i, m] of [leader, ...followers].entries()) {
      const r = await m.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'raft-http', ip: `127.0.0.${71 + i}`, port: 7000 + i, ephemeral: false } });
      assert.equal(r.status, 200, `${m.name}: ${r.text}`);
    }
    await hostsEverywhere('DEFAULT_GROUP@@raft-http', ['127.0.0.71:7000', '127.0.0.72:7001', '127.0.0.73:7002'], 'HTTP persistent instances');

    // Operator edits through a follower: protect threshold and an instance weight.
    const f = followers[0]!;
    const put = await f.request('PUT', '/nacos/v1/ns/service', { query: { serviceName: 'raft-http', protectThreshold: 0.7, metadata: JSON.stringify({ owner: 'raft' }) } });
    assert.equal(put.status, 200, put.text);
    const w = await f.request('PUT', '/nacos/v1/ns/instance', { query: { serviceName: 'raft-http', ip: '127.0.0.71', port: 7000, weight: 5, ephemeral: false } });
    assert.equal(w.status, 200, w.text);
    for (const m of cluster.members) {
      await waitFor(`operator edits on ${m.name}`, async () => {
          const d = jsonOf<{ protectThreshold: number }>(await m.get('/nacos/v1/ns/service', { serviceName: 'raft-http' }));
          const info = await m.listInstances('DEFAULT_GROUP@@raft-http');
          const h = info.hosts.find((x) => x.ip === '127.0.0.71');
          return d.protectThreshold === 0.7 && h?.weight === 5 ? true : undefined;
        }, 10_000, 50);
    }
  });

  it('two clusters of one service updated at once through two members both reach every member (docs/reliability.md "Stale records")', async () => {
    const leader = await leaderOf(cluster.members);
    const followers = cluster.members.filter((m) => m !== leader);
    for (const [i, c] of ['ca', 'cb'].entries()) {
      const r = await leader.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'raft-cl', ip: `127.0.0.${91 + i}`, port: 7100, ephemeral: false, clusterName: c } });
      assert.equal(r.status, 200, r.text);
    }
    const setCluster = async (m: ClusterMember, c: string, v: string): Promise<void> => {
      const r = await m.request('PUT', '/nacos/v1/ns/cluster', { query: { serviceName: 'raft-cl', clusterName: c, checkPort: 80, useInstancePort4Check: true, healthChecker: '{"type":"NONE"}', metadata: JSON.stringify({ v }) } });
      assert.equal(r.status, 200, `${m.name}: ${r.text}`);
    };
    // Each round: cluster `ca` through one follower, `cb` through the other, at the same time (forwarded writes).
    for (let round = 1; round <= 5; round++) await Promise.all([setCluster(followers[0]!, 'ca', `a${round}`), setCluster(followers[1]!, 'cb', `b${round}`)]);
    for (const m of cluster.members) {
      await waitFor(`both cluster updates on ${m.name}`, async () => {
        const d = jsonOf<{ clusters: { name: string; metadata: Record<string, string> }[] }>(await m.get('/nacos/v1/ns/service', { serviceName: 'raft-cl' }));
        const v = (c: string) => d.clusters.find((x) => x.name === c)?.metadata['v'];
        return v('ca') === 'a5' && v('cb') === 'b5' ? true : undefined;
      }, 10_000, 50);
    }
  });

  it('an operator edit on one member reaches an SDK subscribed on another member in its next push', async () => {
    const sub = await RustClient.start(cluster.members[2]!.port, { label: 'raft-sub' });
    rust.push(sub);
    await sub.subscribe('raft-http', 'edits');
    await sub.waitForEvent((e) => e.subId === 'edits' && e.hosts.length === 3, 10_000, 'initial push with 3 hosts');
    const r = await cluster.members[0]!.request('PUT', '/nacos/v1/ns/instance', { query: { serviceName: 'raft-http', ip: '127.0.0.72', port: 7001, weight: 9, ephemeral: false } });
    assert.equal(r.status, 200, r.text);
    await sub.waitForEvent((e) => e.subId === 'edits' && e.hosts.some((h) => h.ip === '127.0.0.72' && h.weight === 9), 10_000, 'push with weight 9');
    const off = await cluster.members[1]!.request('PUT', '/nacos/v1/ns/instance', { query: { serviceName: 'raft-http', ip: '127.0.0.73', port: 7002, enabled: false, ephemeral: false } });
    assert.equal(off.status, 200, off.text);
    await sub.waitForEvent((e) => e.subId === 'edits' && !e.hosts.some((h) => h.ip === '127.0.0.73' && h.enabled !== false), 10_000, 'push with 127.0.0.73 offline');
    await sub.kill();
    rust.splice(rust.indexOf(sub), 1);
  });

  it('the Rust SDK registers a persistent instance (PersistentInstanceRequest) visible on every member', async () => {
    const target = cluster.members[2]!;
    const c = await RustClient.start(target.port, { label: 'raft-rust' });
    rust.push(c);
    await c.register('raft-rust', { ip: '127.0.0.81', port: 8101, ephemeral: false });
    await hostsEverywhere('DEFAULT_GROUP@@raft-rust', ['127.0.0.81:8101'], 'Rust persistent instance');
    for (const m of cluster.members) {
      const info = await m.listInstances('DEFAULT_GROUP@@raft-rust');
      assert.equal(info.hosts[0]?.ephemeral, false);
    }
    // Health-checked by the member responsible for its ip:port (nothing listens there): the flip
    // goes through Raft, so every member sees it unhealthy.
    for (const m of cluster.members) {
      await waitFor(`127.0.0.81:8101 unhealthy on ${m.name}`, async () => {
        const info = await m.listInstances('DEFAULT_GROUP@@raft-rust');
        return info.hosts.length === 1 && info.hosts[0]!.healthy === false ? true : undefined;
      }, 15_000, 100);
    }
    // Persistent: it stays after the SDK process is gone.
    await c.kill();
    rust.length = 0;
    await sleep(500);
    await hostsEverywhere('DEFAULT_GROUP@@raft-rust', ['127.0.0.81:8101'], 'persistent instance after the client left');
  });

  it('the v3 admin API shows the Raft group in every member\'s raftMetaData and moves leadership on request', async () => {
    const leader = await leaderOf(cluster.members);
    const target = cluster.members.find((m) => m !== leader)!;
    const raftPeer = (address: string) => `${address.slice(0, address.lastIndexOf(':'))}:${Number(address.slice(address.lastIndexOf(':') + 1)) - 1000}`;
    interface Group {
      leader: string;
      raftGroupMember: string[];
      term: number;
    }
    const groupSeenBy = async (m: ClusterMember): Promise<Group> => {
      const r = await m.get('/nacos/v3/admin/core/cluster/node/self');
      assert.equal(r.status, 200, r.text);
      const self = jsonOf<{ data: { extendInfo: { raftMetaData: { metaDataMap: Record<string, Group> } } } }>(r).data;
      return self.extendInfo.raftMetaData.metaDataMap['naming_persistent_service_v2']!;
    };
    for (const m of cluster.members) {
      const g = await groupSeenBy(m);
      assert.equal(g.leader, raftPeer(leader.address), `leader as ${m.name} reports it`);
      assert.deepEqual([...g.raftGroupMember].sort(), cluster.members.map((x) => raftPeer(x.address)).sort());
    }
    const before = (await groupSeenBy(leader)).term;
    // A follower cannot move leadership: it says who can.
    const refused = await target.request('POST', '/nacos/v3/admin/core/ops/raft', { query: { command: 'transferLeader', value: raftPeer(target.address) } });
    assert.equal(refused.status, 500, refused.text);
    const moved = await leader.request('POST', '/nacos/v3/admin/core/ops/raft', { query: { command: 'transferLeader', value: raftPeer(target.address) } });
    assert.equal(moved.status, 200, moved.text);
    await waitFor('the requested member leads', async () => ((await leaderOf(cluster.members)) === target ? true : undefined), 20_000, 50);
    assert.ok((await groupSeenBy(target)).term > before, 'a new term');
  });

  it('kill -9 of the leader under load and a full-cluster restart lose no acknowledged write', async () => {
    const leader = await leaderOf(cluster.members);
    const acked = new Set<string>();
    let seq = 0;
    let stop = false;
    let killedAt = 0;
    let firstAfterKill = 0;
    const writer = async (m: ClusterMember): Promise<void> => {
      while (!stop) {
        const n = seq++;
        const startedAt = Date.now();
        const ip = `127.0.${1 + Math.floor(n / 200)}.${1 + (n % 200)}`;
        const r = await m.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'raft-load', ip, port: 9000, ephemeral: false }, timeoutMs: 15_000 }).catch(() => null);
        if (r?.status === 200) {
          acked.add(`${ip}:9000`);
          // Failover = kill → first acknowledgement of a write that was sent after the kill.
          if (killedAt > 0 && startedAt > killedAt && firstAfterKill === 0) firstAfterKill = Date.now();
        } else await sleep(20);
      }
    };
    const writers = cluster.members.flatMap((m) => [writer(m), writer(m)]);
    await sleep(1500);
    const before = acked.size;
    killedAt = Date.now();
    await leader.kill9();
    await waitFor('writes accepted again after the leader was killed', async () => (firstAfterKill > 0 && acked.size > before + 20 ? true : undefined), 30_000, 50);
    stop = true;
    await Promise.all(writers);
    const failoverMs = firstAfterKill - killedAt;
    figure(`raft: leader kill -9 → first write acknowledged again after ${failoverMs} ms (election timeout ${ELECTION_MS} ms); ${acked.size} writes acknowledged`);

    await leader.restart();
    const want = [...acked];
    // Inclusion, not equality: a write may commit although its caller saw a failure (timeout).
    for (const m of cluster.members) await assertIncludes(m, want);

    // Full-cluster crash and restart.
    await Promise.all(cluster.members.map((m) => m.kill9()));
    await Promise.all(cluster.members.map((m) => m.restart({ waitReady: false })));
    await Promise.all(cluster.members.map((m) => m.waitReady(30_000)));
    for (const m of cluster.members) await assertIncludes(m, want);
    await leaderOf(cluster.members);
    const suppressed: number[] = [];
    for (const m of cluster.members) {
      const s = await raftState(m);
      // A forward cut by the kill is retried at the new leader with the same command id; if the
      // first copy had committed too, the state machine skips the second one (counted here).
      suppressed.push(s.stats.duplicates);
      assert.equal(s.stats.rejected, 0, `${m.name} rejected a committed entry`);
    }
    figure(`raft: re-proposed commands skipped as duplicates after the full restart, per member: ${suppressed.join(', ')}`);
    // Writes work again after the full restart, and the earlier edits are still there.
    const r = await cluster.members[0]!.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'raft-load', ip: '127.0.9.9', port: 9000, ephemeral: false } });
    assert.equal(r.status, 200, r.text);
    const d = jsonOf<{ protectThreshold: number }>(await cluster.members[1]!.get('/nacos/v1/ns/service', { serviceName: 'raft-http' }));
    assert.equal(d.protectThreshold, 0.7);
  });
});

async function assertIncludes(m: ClusterMember, want: readonly string[]): Promise<void> {
  await waitFor(`all ${want.length} acknowledged writes on ${m.name}`, async () => {
      const info = await m.listInstances('DEFAULT_GROUP@@raft-load').catch(() => undefined);
      if (!info) return undefined;
      const have = new Set(addrs(info.hosts));
      return want.every((a) => have.has(a)) ? true : undefined;
    }, 15_000, 100);
}

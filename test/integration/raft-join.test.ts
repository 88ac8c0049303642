/**
 * A member that lost its disk rejoins with `--join` (docs/operations.md "lost disk", docs/raft.md
 * "Lost disks"). 3 real members on loopback: persistent writes, kill -9 of a follower, its data
 * directory deleted, restart with `--join` at the same address. It must stay a cluster member (not
 * start as a standalone one-voter group), catch up from the leader with no new write, serve every
 * acknowledged write at readiness, and keep a majority with the others when the leader dies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster, type ClusterMember } from './helpers/cluster.js';
import { jsonOf, waitFor } from './helpers/server.js';

const SERVICE = 'join-svc';

interface RaftState {
  id: string;
  role: string;
  leader: string | null;
  appliedIndex: number;
}

async function raftState(m: ClusterMember): Promise<RaftState | undefined> {
  const r = await m.get('/nacos/v1/ns/operator/raft/state').catch(() => undefined);
  return r?.status === 200 ? jsonOf<RaftState>(r) : undefined;
}

async function ips(m: ClusterMember): Promise<string[]> {
  const r = await m.get('/nacos/v1/ns/instance/list', { serviceName: SERVICE });
  if (r.status !== 200) return [];
  return jsonOf<{ hosts: { ip: string }[] }>(r).hosts.map((h) => h.ip).sort();
}

async function register(m: ClusterMember, ip: string): Promise<void> {
  const r = await m.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: SERVICE, ip, port: 9000, ephemeral: false } });
  assert.equal(r.status, 200, r.text);
}

describe('a member that lost its disk rejoins with --join (issue 13)', { timeout: 240_000 }, () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start(3, { name: 'raft-join', properties: { 'nacos.core.protocol.raft.data.election_timeout_ms': 1000 } });
  });

  after(async () => {
    await cluster?.dispose();
  });

  it('catches up at once, serves every acknowledged write at readiness, and counts toward a majority', async () => {
    const want: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const ip = `127.0.2.${i}`;
      await register(cluster.members[i % 3]!, ip);
      want.push(ip);
    }
    want.sort();
    const leaderOf = async (): Promise<ClusterMember> => {
      const leader = await waitFor('a leader', async () => {
        for (const m of cluster.members) if (m.running && (await raftState(m))?.role === 'leader') return m;
        return undefined;
      }, 20_000, 100);
      return leader;
    };
    const leader = await leaderOf();
    const lost = cluster.members.find((m) => m !== leader)!;

    await lost.kill9();
    await lost.wipe();
    lost.spawn(['--join']);
    await lost.waitReady(45_000, 50);
    // Ready means caught up: every acknowledged write is there, with no new write to trigger it.
    assert.deepEqual(await ips(lost), want);
    const st = await raftState(lost);
    assert.ok(st, 'raft state of the rejoined member');
    assert.notEqual(st.id, 'standalone', 'the rejoined member must stay a cluster member');
    assert.equal(st.role, 'follower');
    assert.equal(st.leader, leader.address);

    // The leader dies: the two others (one of them the rejoined member) still form a majority.
    await leader.kill9();
    const survivor = cluster.members.find((m) => m !== leader && m !== lost)!;
    await waitFor('a write through the surviving majority', async () => {
      const r = await survivor.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: SERVICE, ip: '127.0.2.9', port: 9000, ephemeral: false } });
      return r.status === 200 ? true : undefined;
    }, 30_000, 250);
    await waitFor('the new write on the rejoined member', async () => ((await ips(lost)).includes('127.0.2.9') ? true : undefined), 10_000, 50);
  });
});

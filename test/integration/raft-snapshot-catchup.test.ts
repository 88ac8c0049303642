/**
 * A follower catching up from the leader's snapshot over the real member streams (docs/raft.md
 * "Snapshot transfer"): 3 members on loopback compacting every 10 entries, persistent writes with
 * non-ASCII metadata, kill -9 of a follower, its data directory deleted, restart. It must be
 * ready with every acknowledged write, the snapshot having travelled as a compressed
 * RaftSnapshotRequest (counters of both links), without a failed delivery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster, type ClusterMember } from './helpers/cluster.js';
import { jsonOf, waitFor } from './helpers/server.js';

const SERVICE = 'snap-catchup-svc';

interface RaftState {
  role: string;
  commitIndex: number;
  appliedIndex: number;
  snapshotIndex: number;
  link: Record<string, number> | null;
}

async function raftState(m: ClusterMember): Promise<RaftState | undefined> {
  const r = await m.get('/nacos/v1/ns/operator/raft/state').catch(() => undefined);
  return r?.status === 200 ? jsonOf<RaftState>(r) : undefined;
}

async function hosts(m: ClusterMember): Promise<string[]> {
  const r = await m.get('/nacos/v1/ns/instance/list', { serviceName: SERVICE });
  if (r.status !== 200) return [];
  return jsonOf<{ hosts: { ip: string; metadata: Record<string, string> }[] }>(r)
    .hosts.map((h) => `${h.ip} ${h.metadata['zone'] ?? ''}`)
    .sort();
}

describe('a wiped follower catches up from a compressed snapshot (issue 14)', { timeout: 240_000 }, () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start(3, {
      name: 'raft-snapshot',
      properties: { 'nacos.core.protocol.raft.data.election_timeout_ms': 1000, 'nomen.raft.snapshot.entries': 10, 'nacos.naming.health.enabled': false },
    });
  });

  after(async () => {
    await cluster?.dispose();
  });

  it('is ready with every acknowledged write, the snapshot sent compressed and delivered', async () => {
    const want: string[] = [];
    for (let i = 1; i <= 60; i++) {
      const ip = `127.0.3.${i}`;
      const zone = `zone-é-${i % 4}`;
      const r = await cluster.members[i % 3]!.request('POST', '/nacos/v1/ns/instance', {
        query: { serviceName: SERVICE, ip, port: 9000, ephemeral: false, metadata: JSON.stringify({ zone }) },
      });
      assert.equal(r.status, 200, r.text);
      want.push(`${ip} ${zone}`);
    }
    want.sort();
    const leader = await waitFor('a leader that compacted its log, every member caught up', async () => {
      const states = await Promise.all(cluster.members.map(raftState));
      const i = states.findIndex((s) => s?.role === 'leader');
      const l = states[i];
      if (!l || l.snapshotIndex === 0 || !states.every((s) => s && s.appliedIndex >= l.commitIndex)) return undefined;
      return cluster.members[i];
    }, 30_000, 100);
    const lost = cluster.members.find((m) => m !== leader)!;
    const before = (await raftState(leader))!.link!;

    await lost.kill9();
    await lost.wipe();
    lost.spawn();
    await lost.waitReady(60_000, 50);
    assert.deepEqual(await hosts(lost), want, 'every acknowledged write, metadata included, on the wiped member at readiness');

    const now = (await raftState(leader))!.link!;
    const got = (await raftState(lost))!.link!;
    const sent = now['snapshotsSent']! - before['snapshotsSent']!;
    assert.ok(sent >= 1, `the leader sent the snapshot (${sent})`);
    assert.ok(now['snapshotWireBytes']! > before['snapshotWireBytes']!, 'as a compressed RaftSnapshotRequest');
    assert.equal(now['snapshotsFailed']! - before['snapshotsFailed']!, 0, 'delivered at the first attempt');
    assert.ok(got['snapshotsReceived']! >= 1, 'the wiped member took it from the request');
    // Compressed: fewer bytes on the wire than image characters.
    assert.ok(now['snapshotWireBytes']! - before['snapshotWireBytes']! < now['snapshotChars']! - before['snapshotChars']!);
  });
});

/**
 * The configuration center on 3 real members (Raft-replicated): a config published on one member
 * is served by the others; kill -9 of the Raft leader during publishes through every member loses
 * no acknowledged config; the killed member, restarted, serves every acknowledged config the
 * moment it reports ready.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { figure, TestCluster, type ClusterMember } from './helpers/cluster.js';
import { RawGrpcClient, type RawMessage } from './helpers/raw-grpc.js';
import { jsonOf, sleep, waitFor } from './helpers/server.js';

const ELECTION_MS = 1000;

async function leaderOf(members: readonly ClusterMember[]): Promise<ClusterMember> {
  return waitFor(
    'one raft leader all members agree on',
    async () => {
      const states = await Promise.all(
        members.filter((m) => m.running).map(async (m) => ({ m, s: await m.get('/nacos/v1/ns/operator/raft/state').then((r) => jsonOf<{ role: string; leader: string }>(r)).catch(() => undefined) })),
      );
      const leaders = states.filter((x) => x.s?.role === 'leader');
      if (leaders.length !== 1) return undefined;
      const lead = leaders[0]!;
      return states.every((x) => x.s?.leader === lead.m.address) ? lead.m : undefined;
    },
    20_000,
    50,
  );
}

async function client(m: ClusterMember): Promise<RawGrpcClient> {
  const c = new RawGrpcClient(m.grpcPort);
  await c.setupAndWait(10_000);
  return c;
}

const body = (dataId: string, extra: object = {}) => ({ headers: {}, requestId: '1', tenant: '', dataId, group: 'DEFAULT_GROUP', ...extra });
const publish = (c: RawGrpcClient, dataId: string, content: string, timeoutMs = 5000): Promise<RawMessage> =>
  c.request('ConfigPublishRequest', body(dataId, { content, casMd5: null, additionMap: { encryptedDataKey: '' } }), timeoutMs);
const query = (c: RawGrpcClient, dataId: string): Promise<RawMessage> => c.request('ConfigQueryRequest', body(dataId));

describe('config center on 3 members', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  const clients: RawGrpcClient[] = [];

  before(async () => {
    cluster = await TestCluster.start(3, { name: 'config-cluster', readyTimeoutMs: 60_000, properties: { 'nacos.core.protocol.raft.data.election_timeout_ms': ELECTION_MS } });
  });

  after(async () => {
    for (const c of clients) c.close();
    await cluster?.dispose();
  });

  async function clientOf(m: ClusterMember): Promise<RawGrpcClient> {
    const c = await client(m);
    clients.push(c);
    return c;
  }

  it('published on A, served by B and C', async () => {
    const [a, b, c] = await Promise.all(cluster.members.map((m) => clientOf(m)));
    const r = await publish(a!, 'cluster.app.yaml', 'k: v');
    assert.equal(r.body['resultCode'], 200, JSON.stringify(r.body));
    for (const x of [b!, c!]) {
      await waitFor('the config on another member', async () => ((await query(x, 'cluster.app.yaml')).body['content'] === 'k: v' ? true : undefined), 10_000, 50);
    }
  });

  it('kill -9 of the leader during publishes loses no acknowledged config; the restarted member serves them all when ready', async () => {
    const leader = await leaderOf(cluster.members);
    const conns = new Map<ClusterMember, RawGrpcClient>();
    for (const m of cluster.members) conns.set(m, await clientOf(m));
    const acked = new Map<string, string>();
    let seq = 0;
    let stop = false;
    let killedAt = 0;
    let afterKill = 0;
    const writer = async (m: ClusterMember): Promise<void> => {
      while (!stop) {
        const n = seq++;
        const dataId = `load-${n}`;
        const content = `v=${n}`;
        const startedAt = Date.now();
        const r = await publish(conns.get(m)!, dataId, content, 15_000).catch(() => null);
        if (r?.body['resultCode'] === 200) {
          acked.set(dataId, content);
          if (killedAt > 0 && startedAt > killedAt) afterKill++;
        } else await sleep(20);
      }
    };
    const writers = cluster.members.flatMap((m) => [writer(m), writer(m)]);
    await sleep(1500);
    killedAt = Date.now();
    await leader.kill9();
    await waitFor('publishes acknowledged again after the leader was killed', async () => (afterKill >= 20 ? true : undefined), 30_000, 50);
    stop = true;
    await Promise.all(writers);
    figure(`config: ${acked.size} publishes acknowledged across a leader kill -9`);

    const survivors = cluster.members.filter((m) => m !== leader);
    for (const m of survivors) {
      const c = conns.get(m)!;
      let missing = '';
      await waitFor(`every acknowledged config on ${m.name} (last missing: ${missing})`, async () => {
        for (const [dataId, content] of acked) {
          const got = (await query(c, dataId)).body;
          if (got['content'] !== content) {
            missing = `${dataId}: ${JSON.stringify(got)}`;
            return undefined;
          }
        }
        return true;
      }, 20_000, 200).catch((e: unknown) => {
        throw new Error(`${String(e)}; last missing ${missing}`);
      });
    }
    // Generous: on a loaded machine a process takes many seconds just to start.
    await leader.restart({ readyTimeoutMs: 60_000 });
    // At readiness, without waiting: every acknowledged config is served.
    const c = await clientOf(leader);
    for (const [dataId, content] of acked) {
      const r = await query(c, dataId);
      assert.equal(r.body['content'], content, `${dataId} on the restarted ${leader.name}`);
    }
  });
});

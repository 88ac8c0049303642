/**
 * The configuration center on 3 real members (Raft-replicated): a config published on one member
 * is served by the others; kill -9 of the Raft leader during publishes through every member loses
 * no acknowledged config; the killed member, restarted, serves every acknowledged config the
 * moment it reports ready; config listeners held by different members all appear in a listener
 * query (and client metrics query) made on any member.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

  it('listeners on different members all appear in a listener query made on any member', async () => {
    const [a] = await Promise.all(cluster.members.map((m) => clientOf(m)));
    const dataId = 'cluster.listen.cfg';
    const G = 'DEFAULT_GROUP';
    assert.equal((await publish(a!, dataId, 'l=1')).body['resultCode'], 200);
    const md5 = createHash('md5').update('l=1').digest('hex');
    const [ma, mb, mc] = cluster.members as [ClusterMember, ClusterMember, ClusterMember];
    // On A: a gRPC listener (its connection's client IP is 127.0.0.1).
    const listen = await a!.request('ConfigBatchListenRequest', { headers: {}, requestId: '2', listen: true, configListenContexts: [{ tenant: '', group: G, dataId, md5 }] });
    assert.equal(listen.body['resultCode'], 200, JSON.stringify(listen.body));
    // On B and C: nacos-config style long polls, told apart by X-Forwarded-For (the poll's client IP).
    for (const m of [mb, mc]) {
      await waitFor('the config on the member', async () => ((await m.get('/nacos/v1/cs/configs', { dataId, group: G })).text === 'l=1' ? true : undefined), 10_000, 50);
    }
    const held = [
      [mb, '10.9.0.2'],
      [mc, '10.9.0.3'],
    ].map(([m, ip]) =>
      (m as ClusterMember).request('POST', '/nacos/v1/cs/configs/listener', {
        form: { 'Listening-Configs': `${dataId}\u0002${G}\u0002${md5}\u0001` },
        headers: { 'Long-Pulling-Timeout': '30000', 'X-Forwarded-For': ip as string },
        timeoutMs: 40_000,
      }),
    );
    for (const h of held) h.catch(() => undefined); // awaited below; a failed test must not leave an unhandled rejection
    const everyone = ['10.9.0.2', '10.9.0.3', '127.0.0.1'];
    for (const m of [ma, mb, mc]) {
      const v1 = await waitFor('every listener in the v1 query', async () => {
        const r = jsonOf<{ lisentersGroupkeyStatus: Record<string, string> }>(await m.get('/nacos/v1/cs/configs/listener', { dataId, group: G }));
        return Object.keys(r.lisentersGroupkeyStatus).sort().join() === everyone.join() ? r : undefined;
      }, 10_000, 50);
      assert.deepEqual(Object.values(v1.lisentersGroupkeyStatus), [md5, md5, md5]);
      const v3 = jsonOf<{ data: { listenersStatus: Record<string, string> } }>(await m.get('/nacos/v3/admin/cs/config/listener', { dataId, groupName: G }));
      assert.deepEqual(Object.keys(v3.data.listenersStatus).sort(), everyone, m.address);
      for (const ip of everyone) {
        const byIp = jsonOf<{ lisentersGroupkeyStatus: Record<string, string> }>(await m.get('/nacos/v1/cs/listener', { ip }));
        assert.equal(byIp.lisentersGroupkeyStatus[`${dataId}+${G}+public`], md5, `${ip} asked on ${m.address}: ${JSON.stringify(byIp)}`);
        const v3ByIp = jsonOf<{ data: { listenersStatus: Record<string, string> } }>(await m.get('/nacos/v3/admin/cs/listener', { ip }));
        assert.equal(v3ByIp.data.listenersStatus[`${dataId}+${G}+public`], md5, `${ip} asked on ${m.address} (v3)`);
      }
    }
    // aggregation=false: the member's own listeners only (what a member asks its peers).
    const own = jsonOf<{ lisentersGroupkeyStatus: Record<string, string> }>(await mb.get('/nacos/v1/cs/configs/listener', { dataId, group: G, aggregation: 'false' }));
    assert.deepEqual(Object.keys(own.lisentersGroupkeyStatus), ['10.9.0.2']);
    // Client metrics for the cluster: the raw clients of every member are asked (they never answer: listed, not failed).
    const metrics = jsonOf<{ code: number; data: Record<string, unknown> }>(await mc.get('/nacos/v3/admin/cs/metrics/cluster', { ip: '127.0.0.1', dataId, groupName: G }));
    assert.equal(metrics.code, 0);
    const unanswered = metrics.data['nomen.unanswered'] as { connectionId: string }[];
    const perMember = await Promise.all(cluster.members.map(async (m) => (jsonOf<{ data: Record<string, unknown> }>(await m.get('/nacos/v3/admin/cs/metrics/ip', { ip: '127.0.0.1', dataId, groupName: G })).data['nomen.unanswered'] as unknown[]).length));
    assert.ok(perMember.every((n) => n > 0), JSON.stringify(perMember));
    assert.equal(unanswered.length, perMember.reduce((x, y) => x + y, 0), JSON.stringify(metrics.data));
    assert.equal(metrics.data['nomen.unansweredMembers'], undefined);
    // A change published on A releases the polls held on B and C.
    assert.equal((await publish(a!, dataId, 'l=2')).body['resultCode'], 200);
    for (const r of await Promise.all(held)) {
      assert.equal(r.status, 200);
      assert.match(decodeURIComponent(r.text), new RegExp(`^${dataId.replaceAll('.', '\\.')}\u0002${G}`));
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

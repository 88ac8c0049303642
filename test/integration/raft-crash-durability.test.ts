/**
 * Issue 11, defect 6: an acknowledged write must survive a crash of the whole cluster, and a member
 * must not report ready while it still misses one. 3 real members on loopback.
 *
 * 1. The exact sequence of the report: 60 persistent instances written through all members,
 *    `protectThreshold=0.4` set on one member and visible on all, kill -9 of all three, restart on
 *    the same disks: every member reports 0.4 and the 60 instances — checked the moment each member
 *    reports ready (before the fix a member served the state replayed up to the commit index on its
 *    disk, which is written lazily, and reported 0 until a new leader re-committed the tail).
 * 2. The same for every other table the Raft log carries: cluster metadata, an instance override
 *    (weight / enabled / metadata), a switch, a namespace, a user, a role and a permission — each
 *    written once, visible on every member (a switch changed on one member used to stay unchanged on
 *    the others), then the crash, then checked on every member at its readiness.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster, type ClusterMember } from './helpers/cluster.js';
import { jsonOf, waitFor } from './helpers/server.js';

const SERVICE = 'crash-meta';
const GROUPED = `DEFAULT_GROUP@@${SERVICE}`;

async function protectThreshold(m: ClusterMember): Promise<number | undefined> {
  const r = await m.get('/nacos/v1/ns/service', { serviceName: SERVICE });
  return r.status === 200 ? jsonOf<{ protectThreshold: number }>(r).protectThreshold : undefined;
}

/** kill -9 of every member, restart on the same disks; `check` runs on each member the moment it reports ready. */
async function crashAndCheckAtReady(cluster: TestCluster, check: (m: ClusterMember) => Promise<void>): Promise<void> {
  await Promise.all(cluster.members.map((m) => m.kill9()));
  for (const m of cluster.members) m.spawn();
  await Promise.all(
    cluster.members.map(async (m) => {
      await m.waitReady(45_000, 20);
      await check(m);
    }),
  );
}

async function everywhere(cluster: TestCluster, what: string, ok: (m: ClusterMember) => Promise<boolean>): Promise<void> {
  for (const m of cluster.members) await waitFor(`${what} on ${m.name}`, async () => ((await ok(m)) ? true : undefined), 10_000, 50);
}

describe('acknowledged writes survive a full-cluster kill -9 (issue 11 defect 6)', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  const want: string[] = [];

  before(async () => {
    cluster = await TestCluster.start(3, { name: 'raft-crash', properties: { 'nacos.core.protocol.raft.data.election_timeout_ms': 1000 } });
  });

  after(async () => {
    await cluster?.dispose();
  });

  it('protectThreshold=0.4 set on one member is 0.4 on every member after kill -9 of all three, with the 60 instances', async () => {
    for (let i = 0; i < 60; i++) {
      const m = cluster.members[i % 3]!;
      const ip = `127.0.1.${i + 1}`;
      const r = await m.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: SERVICE, ip, port: 8080, ephemeral: false } });
      assert.equal(r.status, 200, `${m.name}: ${r.text}`);
      want.push(`${ip}:8080`);
    }
    want.sort();
    const put = await cluster.members[1]!.request('PUT', '/nacos/v1/ns/service', { query: { serviceName: SERVICE, protectThreshold: 0.4 } });
    assert.deepEqual([put.status, put.text], [200, 'ok']);
    await everywhere(cluster, 'protectThreshold 0.4', async (m) => (await protectThreshold(m)) === 0.4);

    await crashAndCheckAtReady(cluster, async (m) => {
      assert.equal(await protectThreshold(m), 0.4, `${m.name}: protectThreshold when it reported ready`);
      const info = await m.listInstances(GROUPED);
      assert.deepEqual(info.hosts.map((h) => `${h.ip}:${h.port}`).sort(), want, `${m.name}: instances when it reported ready`);
    });
  });

  it('cluster metadata, an instance override, a switch, a namespace, a user, a role and a permission survive it too', async () => {
    const [a, b, c] = cluster.members as [ClusterMember, ClusterMember, ClusterMember];
    const ok = async (p: Promise<{ status: number; text: string }>, what: string) => {
      const r = await p;
      assert.equal(r.status, 200, `${what}: ${r.text}`);
    };
    await ok(
      a.request('PUT', '/nacos/v1/ns/cluster', {
        query: { serviceName: SERVICE, clusterName: 'DEFAULT', checkPort: 0, useInstancePort4Check: true, healthChecker: JSON.stringify({ type: 'NONE' }), metadata: 'zone=z1' },
      }),
      'cluster metadata',
    );
    await ok(
      b.request('PUT', '/nacos/v1/ns/instance', { query: { serviceName: SERVICE, ip: '127.0.1.1', port: 8080, ephemeral: false, weight: 7, enabled: false, metadata: 'tier=gold' } }),
      'instance override',
    );
    await ok(c.request('PUT', '/nacos/v1/ns/operator/switches', { query: { entry: 'clientBeatInterval', value: 7000 } }), 'switch');
    await ok(a.request('POST', '/nacos/v1/console/namespaces', { query: { customNamespaceId: 'crash-ns', namespaceName: 'crash' } }), 'namespace');
    await ok(b.request('POST', '/nacos/v1/auth/users', { query: { username: 'crashuser', password: 'Crash-pass-1' } }), 'user');
    await ok(c.request('POST', '/nacos/v1/auth/roles', { query: { role: 'crashrole', username: 'crashuser' } }), 'role');
    await ok(a.request('POST', '/nacos/v1/auth/permissions', { query: { role: 'crashrole', resource: 'crash-ns:*:*', action: 'rw' } }), 'permission');

    const checks: [string, (m: ClusterMember) => Promise<boolean>][] = [
      ['protectThreshold', async (m) => (await protectThreshold(m)) === 0.4],
      [
        'cluster metadata',
        async (m) => {
          const d = jsonOf<{ clusters: { name: string; healthChecker: { type: string }; metadata: Record<string, string> }[] }>(await m.get('/nacos/v1/ns/service', { serviceName: SERVICE }));
          const cl = d.clusters.find((x) => x.name === 'DEFAULT');
          return cl?.healthChecker.type === 'NONE' && cl.metadata['zone'] === 'z1';
        },
      ],
      [
        'instance override',
        async (m) => {
          const r = await m.get('/nacos/v1/ns/catalog/instances', { serviceName: SERVICE, clusterName: 'DEFAULT', pageNo: 1, pageSize: 100 });
          const list = jsonOf<{ list: { ip: string; weight: number; enabled: boolean; metadata: Record<string, string> }[] }>(r).list;
          const one = list.find((x) => x.ip === '127.0.1.1');
          return list.length === 60 && one?.weight === 7 && one.enabled === false && one.metadata['tier'] === 'gold';
        },
      ],
      ['switch', async (m) => jsonOf<{ clientBeatInterval: number }>(await m.get('/nacos/v1/ns/operator/switches')).clientBeatInterval === 7000],
      ['namespace', async (m) => (await m.get('/nacos/v1/console/namespaces')).text.includes('"crash-ns"')],
      ['user', async (m) => (await m.get('/nacos/v1/auth/users', { pageNo: 1, pageSize: 100 })).text.includes('"crashuser"')],
      ['role', async (m) => (await m.get('/nacos/v1/auth/roles', { pageNo: 1, pageSize: 100 })).text.includes('"crashrole"')],
      ['permission', async (m) => (await m.get('/nacos/v1/auth/permissions', { pageNo: 1, pageSize: 100, role: 'crashrole' })).text.includes('crash-ns:*:*')],
    ];
    for (const [what, check] of checks) await everywhere(cluster, what, check);

    await crashAndCheckAtReady(cluster, async (m) => {
      for (const [what, check] of checks) assert.ok(await check(m), `${m.name}: ${what} when it reported ready`);
    });
  });
});

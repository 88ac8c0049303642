/**
 * Config listener queries across members with auth on (docs/config-center.md "Who listens"): the
 * member asked passes the caller's token on to the other members (one token secret, valid on
 * every member), so a long poll held by member B is listed by a query made on member A; without
 * credentials the query is refused as before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster, type ClusterMember } from './helpers/cluster.js';
import { jsonOf, waitFor } from './helpers/server.js';

const SECRET = Buffer.alloc(32, 7).toString('base64');
const ADMIN_PW = 'cluster-auth-admin-pw';
const DATA_ID = 'cluster.auth.listen';
const G = 'DEFAULT_GROUP';

describe('config listener queries across members, auth on', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let token: string;

  before(async () => {
    cluster = await TestCluster.start(2, {
      name: 'config-cluster-auth',
      readyTimeoutMs: 60_000,
      properties: { 'nacos.core.auth.enabled': true, 'nacos.core.auth.plugin.nacos.token.secret.key': SECRET, 'nomen.auth.admin.initial-password': ADMIN_PW },
    });
    const a = cluster.members[0]!;
    const r = await waitFor('an admin token', async () => {
      const x = await a.request('POST', '/nacos/v1/auth/login', { query: { username: 'nacos', password: ADMIN_PW } });
      return x.status === 200 ? x : undefined;
    }, 30_000, 200);
    token = jsonOf<{ accessToken: string }>(r).accessToken;
  });

  after(async () => {
    await cluster?.dispose();
  });

  it("a poll held by B is listed by a query on A with the caller's token; without one the query is refused", async () => {
    const [a, b] = cluster.members as [ClusterMember, ClusterMember];
    const held = b.request('POST', '/nacos/v1/cs/configs/listener', {
      query: { accessToken: token },
      form: { 'Listening-Configs': `${DATA_ID}\u0002${G}\u0002\u0001` },
      headers: { 'Long-Pulling-Timeout': '30000', 'X-Forwarded-For': '10.9.1.2' },
      timeoutMs: 40_000,
    });
    held.catch(() => undefined); // awaited below; a failed test must not leave an unhandled rejection
    const listed = await waitFor('the poll held by B, listed on A', async () => {
      const r = await a.get('/nacos/v1/cs/configs/listener', { dataId: DATA_ID, group: G, accessToken: token });
      assert.equal(r.status, 200, r.text);
      const m = jsonOf<{ lisentersGroupkeyStatus: Record<string, string> }>(r).lisentersGroupkeyStatus;
      return m['10.9.1.2'] !== undefined ? m : undefined;
    }, 10_000, 50);
    assert.deepEqual(listed, { '10.9.1.2': '' });
    const byIp = await a.get('/nacos/v3/admin/cs/listener', { ip: '10.9.1.2', accessToken: token });
    assert.equal(byIp.status, 200, byIp.text);
    assert.deepEqual(jsonOf<{ data: { listenersStatus: Record<string, string> } }>(byIp).data.listenersStatus, { [`${DATA_ID}+${G}+public`]: '' });
    assert.equal((await a.get('/nacos/v1/cs/configs/listener', { dataId: DATA_ID, group: G })).status, 403);
    assert.equal((await a.get('/nacos/v3/admin/cs/listener', { ip: '10.9.1.2' })).status, 403);
    // A publish on A releases B's poll.
    const pub = await a.request('POST', '/nacos/v1/cs/configs', { query: { accessToken: token }, form: { dataId: DATA_ID, group: G, content: 'x=1' } });
    assert.equal(pub.status, 200, pub.text);
    assert.equal((await held).status, 200);
  });
});

/** The console's aggregated cluster view: parsing member answers and shaping the overview. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clusterOverview,
  DISTRO_STATE_PATH,
  METRICS_PATH,
  parseCounts,
  parseDistro,
  parseRaft,
  RAFT_STATE_PATH,
  type FetchAnswer,
  type MemberFetch,
} from '../../src/transport/http/console-view.js';
import type { Member, MemberState } from '../../src/transport/http/members.js';

function member(address: string, state: MemberState = 'UP', version = '0.1.0'): Member {
  const [ip, port] = address.split(':') as [string, string];
  return {
    ip,
    port: Number(port),
    state,
    extendInfo: { version },
    address,
    failAccessCnt: 0,
    abilities: {
      remoteAbility: { supportRemoteConnection: true, grpcReportEnabled: true },
      configAbility: { supportRemoteMetrics: false },
      namingAbility: { supportJraft: true },
    },
    grpcReportEnabled: true,
  };
}

function distroBody(responsible: number, replicas: number, peers: Record<string, { lastVerifyAt: number | null; lastVerifyOk: boolean | null }>, extra: object = {}) {
  return {
    self: 'x',
    loaded: true,
    distro: {
      responsible,
      replicas,
      tombstones: 0,
      counters: { syncMessagesFailed: 2, verifyMessagesFailed: 1 },
      peers: Object.fromEntries(Object.entries(peers).map(([a, p]) => [a, { state: 'UP', pending: 0, inFlight: 0, paused: false, ...p }])),
    },
    ...extra,
  };
}

describe('console cluster view', () => {
  it('parses a member distro state, with sorted peers and failure counters', () => {
    const d = parseDistro(distroBody(4, 7, { 'b:2': { lastVerifyAt: 10, lastVerifyOk: true }, 'a:1': { lastVerifyAt: null, lastVerifyOk: null } }));
    assert.ok(d);
    assert.equal(d.distro.responsible, 4);
    assert.equal(d.distro.replicas, 7);
    assert.equal(d.distro.syncFailures, 2);
    assert.equal(d.distro.verifyFailures, 1);
    assert.deepEqual(d.distro.peers.map((p) => [p.address, p.lastVerifyAt, p.lastVerifyOk]), [
      ['a:1', null, null],
      ['b:2', 10, true],
    ]);
    assert.equal(d.raft, null);
  });

  it('treats malformed answers as no data', () => {
    assert.equal(parseDistro(undefined), null);
    assert.equal(parseDistro({ distro: { responsible: 'many' } }), null);
    assert.equal(parseDistro('text'), null);
    assert.equal(parseRaft({ something: 'else' }), null);
    assert.equal(parseRaft(null), null);
    assert.equal(parseRaft({ term: 'x' }), null);
    assert.equal(parseCounts({ serviceCount: 1 }), null);
  });

  it('reads Raft figures bare, in a v2 Result, or inside the distro state', () => {
    assert.deepEqual(parseRaft({ role: 'LEADER', term: 3, commitIndex: 17, leader: 'a:1' }), { role: 'LEADER', term: 3, commitIndex: 17, leader: 'a:1' });
    assert.deepEqual(parseRaft({ code: 0, message: 'success', data: { state: 'FOLLOWER', currentTerm: 2, commit: 9 } }), {
      role: 'FOLLOWER',
      term: 2,
      commitIndex: 9,
      leader: null,
    });
    // Nomen's own raft/state answer (RaftHost.status() plus store figures); '' means no leader.
    const nomen = {
      group: 'naming_persistent',
      id: '127.0.0.1:8848',
      role: 'follower',
      term: 4,
      leader: '',
      commitIndex: 12,
      appliedIndex: 12,
      lastIndex: 12,
      snapshotIndex: 0,
      conf: { voters: ['127.0.0.1:8848'], learners: [] },
      progress: {},
      stats: {},
      link: null,
    };
    assert.deepEqual(parseRaft(nomen), { role: 'follower', term: 4, commitIndex: 12, leader: null });
    assert.deepEqual(parseRaft({ ...nomen, leader: '127.0.0.1:8858', term: 'bad' }), { role: 'follower', term: null, commitIndex: 12, leader: '127.0.0.1:8858' });
    // Store not started yet: only group and stats.
    assert.equal(parseRaft({ group: 'naming_persistent', stats: {}, link: null }), null);
    const d = parseDistro(distroBody(0, 0, {}, { raft: { role: 'CANDIDATE', term: 5 } }));
    assert.deepEqual(d?.raft, { role: 'CANDIDATE', term: 5, commitIndex: null, leader: null });
  });

  it('asks every member and keeps the serving member\'s view of their states', async () => {
    const asked: string[] = [];
    const fetch: MemberFetch = async (address, path): Promise<FetchAnswer> => {
      asked.push(`${address}${path}`);
      if (address === '127.0.0.1:3') throw Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      if (path === METRICS_PATH) {
        return address === '127.0.0.1:1'
          ? { status: 200, body: { status: 'UP', serviceCount: 2, instanceCount: 5, clientCount: 3, subscribeCount: 1 } }
          : { status: 200, body: { status: 'UP' } };
      }
      if (path === RAFT_STATE_PATH) return address === '127.0.0.1:1' ? { status: 200, body: { role: 'LEADER', term: 1, commitIndex: 4 } } : { status: 404, body: undefined };
      return { status: 200, body: distroBody(address === '127.0.0.1:1' ? 1 : 0, address === '127.0.0.1:1' ? 0 : 1, {}) };
    };
    const o = await clusterOverview({
      self: '127.0.0.1:1',
      standalone: false,
      now: 1234,
      members: [member('127.0.0.1:3', 'DOWN'), member('127.0.0.1:1'), member('127.0.0.1:2', 'UP', '')],
      fetch,
    });
    assert.equal(o.mode, 'cluster');
    assert.equal(o.at, 1234);
    assert.deepEqual(o.members.map((m) => [m.address, m.state, m.self, m.reachable]), [
      ['127.0.0.1:1', 'UP', true, true],
      ['127.0.0.1:2', 'UP', false, true],
      ['127.0.0.1:3', 'DOWN', false, false],
    ]);
    const [one, two, three] = o.members;
    assert.equal(one?.distro?.responsible, 1);
    assert.deepEqual(one?.raft, { role: 'LEADER', term: 1, commitIndex: 4, leader: null });
    assert.deepEqual(one?.counts, { services: 2, instances: 5, clients: 3, subscribers: 1 });
    assert.equal(two?.counts, null, 'a status-only metrics answer has no counts');
    assert.equal(three?.counts, null);
    assert.equal(two?.distro?.replicas, 1);
    assert.equal(two?.raft, null, 'a 404 raft endpoint means no Raft figures');
    assert.equal(two?.version, null);
    assert.equal(three?.distro, null);
    assert.equal(three?.error, 'ECONNREFUSED');
    assert.equal(asked.filter((a) => a.endsWith(DISTRO_STATE_PATH)).length, 3);
  });

  it('in standalone mode the self member answers 404 for distro state: reachable, no figures', async () => {
    const o = await clusterOverview({ self: 'a:1', standalone: true, now: 0, members: [member('a:1')], fetch: async () => ({ status: 404, body: undefined }) });
    assert.equal(o.mode, 'standalone');
    assert.deepEqual(o.members.map((m) => [m.reachable, m.distro, m.raft]), [[true, null, null]]);
  });
});

/**
 * Persistent data across member-list changes, end to end (issue 13; docs/raft.md "Membership
 * changes"). Real members with cluster.conf files:
 *
 * 1. 3 members; persistent instances (`ephemeral=false`) and service metadata written and
 *    acknowledged, and a writer that keeps writing through the whole change;
 * 2. a 4th member is started and added to every cluster.conf: the Raft configuration
 *    (`/nacos/v1/ns/operator/raft/state` `conf`) shows it first as a learner, then as a voter; at its
 *    readiness it serves every write acknowledged before it started, and every acknowledged write
 *    is read back on every member afterwards;
 * 3. an original member (the leader when it is one) is removed from every cluster.conf: the
 *    configuration shrinks to the three others on all of them; the removed member is stopped; the leader is killed (-9) and the two left
 *    elect a leader (a 4-voter configuration would need three); the killed one restarts; all three
 *    serve every acknowledged write.
 *
 * Fails when raft-link never promotes the learner (it stays in `learners`) or never removes a member
 * that left the list (the two survivors of a 4-voter group cannot elect a leader).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { figure, TestCluster, type ClusterMember } from './helpers/cluster.js';
import { jsonOf, sleep, waitFor } from './helpers/server.js';

const PROPS = {
  'nomen.cluster.lookup.interval-ms': 1000,
  'nomen.cluster.member.report-interval-ms': 500,
  'nomen.cluster.member.unhealthy-probe-interval-ms': 1000,
  'nacos.core.protocol.raft.data.election_timeout_ms': 1000,
};
const SERVICE = 'raft-members';
const GROUPED = `DEFAULT_GROUP@@${SERVICE}`;

interface RaftState {
  id: string;
  role: string;
  leader: string | null;
  conf: { voters: string[]; learners: string[] };
}

async function raftState(m: ClusterMember): Promise<RaftState | undefined> {
  const r = await m.request('GET', '/nacos/v1/ns/operator/raft/state', { timeoutMs: 2000 }).catch(() => undefined);
  return r?.status === 200 ? jsonOf<RaftState>(r) : undefined;
}

async function instancesOn(m: ClusterMember): Promise<Set<string>> {
  const info = await m.listInstances(GROUPED);
  return new Set(info.hosts.map((h) => `${h.ip}:${h.port}`));
}

async function metadataGen(m: ClusterMember): Promise<number | undefined> {
  const r = await m.get('/nacos/v1/ns/service', { serviceName: SERVICE });
  if (r.status !== 200) return undefined;
  const g = jsonOf<{ metadata: Record<string, string> }>(r).metadata['gen'];
  return g === undefined ? undefined : Number(g);
}

/**
 * Writes persistent instances (and every 5th write the service metadata `gen=<n>`) one at a time
 * through the members `targets()` returns, round robin; records what was acknowledged.
 */
class Writer {
  readonly acked: string[] = [];
  /** The last acknowledged `gen` (writes are sequential, so the last ack is the final value). */
  lastGen = 0;
  failed = 0;
  lastError = '';
  private n = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly targets: () => ClusterMember[]) {}

  async writeOne(): Promise<boolean> {
    const ms = this.targets();
    const m = ms[this.n % ms.length]!;
    const i = ++this.n;
    try {
      if (i % 5 === 0) {
        const r = await m.request('PUT', '/nacos/v1/ns/service', { query: { serviceName: SERVICE, protectThreshold: 0, metadata: `gen=${i}` }, timeoutMs: 10_000 });
        if (r.status !== 200) throw new Error(`HTTP ${r.status} ${r.text}`);
        this.lastGen = i;
        return true;
      }
      const ip = `127.0.${8 + Math.floor(i / 250)}.${(i % 250) + 1}`;
      const r = await m.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: SERVICE, ip, port: 7000, ephemeral: false }, timeoutMs: 10_000 });
      if (r.status !== 200) throw new Error(`HTTP ${r.status} ${r.text}`);
      this.acked.push(`${ip}:7000`);
      return true;
    } catch (e) {
      this.lastError = `${m.name}: ${e instanceof Error ? e.message : String(e)}`;
      // Not acknowledged (leader change, member stopping): it may or may not be applied; only
      // acknowledged writes are checked.
      this.failed++;
      return false;
    }
  }

  start(): void {
    this.stopped = false;
    this.loop = (async () => {
      while (!this.stopped) {
        if (!(await this.writeOne())) await sleep(100);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

function missing(want: readonly string[], have: Set<string>): string[] {
  return want.filter((x) => !have.has(x));
}

describe('persistent data across member-list changes (raft learner -> voter, removal)', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let writer: Writer | null = null;

  before(async () => {
    cluster = await TestCluster.start(3, { name: 'raft-members', properties: PROPS, memberList: 'file' });
  });

  after(async () => {
    await writer?.stop();
    await cluster?.dispose();
  });

  /** Every member of `ms` holds every acknowledged write (instances and the last metadata). */
  async function servesEverything(ms: readonly ClusterMember[], w: Writer, what: string): Promise<void> {
    for (const m of ms) {
      await waitFor(
        `${m.name} serves every acknowledged write (${what})`,
        async () => ((missing(w.acked, await instancesOn(m)).length === 0 && ((await metadataGen(m)) ?? -1) >= w.lastGen) ? true : undefined),
        15_000,
        100,
      );
    }
  }

  async function confEverywhere(ms: readonly ClusterMember[], voters: readonly string[], timeoutMs: number): Promise<void> {
    const want = [...voters].sort().join();
    for (const m of ms) {
      await waitFor(
        `${m.name}: raft voters ${want}, no learner`,
        async () => {
          const st = await raftState(m);
          return st && [...st.conf.voters].sort().join() === want && st.conf.learners.length === 0 ? true : undefined;
        },
        timeoutMs,
        100,
      );
    }
  }

  async function leaderAmong(ms: readonly ClusterMember[], timeoutMs: number): Promise<ClusterMember> {
    return waitFor('a leader', async () => {
      for (const m of ms) if (m.running && (await raftState(m))?.role === 'leader') return m;
      return undefined;
    }, timeoutMs, 100);
  }

  it('a 4th member becomes a learner, then a voter, with every write; a removed member leaves the configuration', async () => {
    const [A, B, C] = [cluster.member('A'), cluster.member('B'), cluster.member('C')];
    const three = [A, B, C].map((m) => m.address);
    await confEverywhere([A, B, C], three, 10_000);

    // 1. Acknowledged persistent writes on the 3-member cluster.
    let targets: ClusterMember[] = [A, B, C];
    const w = new Writer(() => targets);
    writer = w;
    for (let i = 0; i < 40; i++) assert.ok(await w.writeOne(), `write on a healthy 3-member cluster: ${w.lastError}`);
    await servesEverything([A, B, C], w, 'three members');

    // 2. The 4th member: started (its own file lists all four), then added to the three files,
    // while the writer keeps writing.
    w.start();
    const D = await cluster.addMember('D', three);
    const four = [...three, D.address];
    const ackedBeforeD = [...w.acked];
    const genBeforeD = w.lastGen;
    D.spawn();
    await Promise.all([A, B, C].map((m) => cluster.writeConf(m, four)));

    // The configuration as the members report it: D must be seen as a learner before it is a voter.
    let sawLearner = false;
    let sawVoterWhileLearner = false;
    await waitFor('D a voter in the raft configuration', async () => {
      for (const m of [A, B, C]) {
        const st = await raftState(m);
        if (!st) continue;
        if (st.conf.learners.includes(D.address)) sawLearner = true;
        if (st.conf.learners.includes(D.address) && st.conf.voters.includes(D.address)) sawVoterWhileLearner = true;
        if (st.role === 'leader' && st.conf.voters.includes(D.address)) return true;
      }
      return undefined;
    }, 60_000, 50);
    assert.ok(sawLearner, 'the new member was added as a learner first');
    assert.ok(!sawVoterWhileLearner, 'never a learner and a voter at once');

    await D.waitReady(60_000, 20);
    // At its readiness it serves everything acknowledged before it started.
    const firstView = await instancesOn(D);
    // The contract (docs/raft.md "Production wiring", the start barrier): every write acknowledged
    // before the member started. Not every write acknowledged before its readiness answer: reads are
    // local, so a write the leader acknowledged a moment ago may not be applied here yet (checked:
    // that stronger assertion failed on 2 of 9 runs, each time by the write acknowledged last).
    assert.deepEqual(missing(ackedBeforeD, firstView), [], 'D serves, when it reports ready, every write acknowledged before it started');
    const gen = await metadataGen(D);
    assert.ok(gen !== undefined && gen >= genBeforeD, `D: service metadata gen ${String(gen)} at readiness, acknowledged before it started ${genBeforeD}`);

    targets = [A, B, C, D];
    await confEverywhere([A, B, C, D], four, 20_000);
    const duringAdd = w.acked.length;
    await sleep(1000);
    await w.stop();
    figure(`member added: ${w.acked.length} instances + metadata gen ${w.lastGen} acknowledged (${duringAdd - ackedBeforeD.length} during the change), ${w.failed} writes not acknowledged`);
    assert.ok(w.acked.length > ackedBeforeD.length, 'writes were acknowledged during the change');
    await servesEverything([A, B, C, D], w, 'after the 4th member joined');

    // 3. Remove an original member from every file, writes going on: the leader if it is one of
    // them (it commits its own removal and steps down, thesis §4.2.2), else A.
    const leader = await leaderAmong([A, B, C, D], 20_000);
    const gone = [A, B, C].includes(leader) ? leader : A;
    const rest = [A, B, C, D].filter((m) => m !== gone);
    const restAddrs = rest.map((m) => m.address);
    targets = rest;
    w.start();
    await Promise.all([...rest, gone].map((m) => cluster.writeConf(m, restAddrs)));
    await confEverywhere(rest, restAddrs, 30_000);
    await gone.stop();
    await sleep(500);
    await w.stop();
    await servesEverything(rest, w, 'after the removal');

    // The leader dies: the two left are a majority of the 3-voter configuration.
    const oldLeader = await leaderAmong(rest, 20_000);
    await oldLeader.kill9();
    const two = rest.filter((m) => m !== oldLeader);
    const newLeader = await leaderAmong(two, 30_000);
    figure(`after the removal of ${gone.name} and kill -9 of the leader ${oldLeader.name}: ${newLeader.name} leads`);
    targets = two;
    for (let i = 0; i < 10; i++) {
      await waitFor('a write through the two survivors', async () => ((await w.writeOne()) ? true : undefined), 30_000, 200);
    }
    await servesEverything(two, w, 'after the leader was killed');

    // The killed one comes back on its disk: all three serve everything.
    oldLeader.spawn();
    await oldLeader.waitReady(45_000, 50);
    await servesEverything(rest, w, 'after the killed leader restarted');
    await confEverywhere(rest, restAddrs, 10_000);
  });
});

/**
 * Cluster mode end to end: three real members on loopback (`--members a,b,c`), driven by the real
 * SDKs (Nacos Rust SDK over gRPC, `nacos-naming` over HTTP v1) and raw HTTP.
 *
 * One cluster, scenarios in order (the destructive ones last): convergence (+ measured latency),
 * kill -9 of a client, push across members, HTTP forwarding to the responsible member, a wiped
 * member restarting with the full view, a killed member's connection clients expiring on the
 * survivors. Measured figures are printed as `[figure] ...` lines (no timing assertions).
 *
 * Shortened timings (`--property`), and why:
 *  - nacos.naming.client.expired.time=10000 — replica lease (scenario 5: a dead member's clients)
 *  - nacos.core.protocol.distro.data.verify.intervalMs=1000 — lease renewal / "one verify round"
 *  - nomen.distro.expiry.check-interval-ms=500 — replica lease sweep
 *  - nomen.naming.heartbeat.check-interval-ms=500 — beat expiry check (scenario 4: beat forwarding)
 *  - nomen.cluster.member.report-interval-ms=500, ...unhealthy-probe-interval-ms=1000 — a dead
 *    member is seen DOWN, and a restarted one UP again, within about a second
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { figure, percentile, responsibleFor, TestCluster, type ClusterMember, type DistroState } from './helpers/cluster.js';
import { inst, startNodeClient, type NodeClientHandle } from './helpers/node-client.js';
import { hostAddrs, RustClient, type PushEvent } from './helpers/rust-client.js';
import { addrs, sleep, waitFor, type HttpHost, type QueryValue } from './helpers/server.js';

const PROPS = {
  'nacos.naming.client.expired.time': 10_000,
  'nacos.core.protocol.distro.data.verify.intervalMs': 1000,
  'nomen.distro.expiry.check-interval-ms': 500,
  'nomen.naming.heartbeat.check-interval-ms': 500,
  'nomen.cluster.member.report-interval-ms': 500,
  'nomen.cluster.member.unhealthy-probe-interval-ms': 1000,
};
const EXPIRED_MS = PROPS['nacos.naming.client.expired.time'];
const VERIFY_MS = PROPS['nacos.core.protocol.distro.data.verify.intervalMs'];
const SWEEP_MS = PROPS['nomen.distro.expiry.check-interval-ms'];

/** Instance metadata for raw HTTP registrations: no beats are sent, so never expire during the file. */
const NO_EXPIRY = JSON.stringify({
  'preserved.heart.beat.interval': '5000',
  'preserved.heart.beat.timeout': '600000',
  'preserved.ip.delete.timeout': '600000',
});
const G = 'DEFAULT_GROUP';
const full = (svc: string): string => `${G}@@${svc}`;

const ms = (x: number): string => `${Math.round(x)} ms`;

describe('cluster mode: 3 members, real SDKs', { timeout: 150_000 }, () => {
  let cluster: TestCluster;
  let A: ClusterMember;
  let B: ClusterMember;
  let C: ClusterMember;
  const rust: RustClient[] = [];
  const node: NodeClientHandle[] = [];

  async function rustOn(m: ClusterMember, label: string): Promise<RustClient> {
    const c = await RustClient.start(m.port, { label: `cluster-${label}` });
    rust.push(c);
    return c;
  }

  /** Raw HTTP v1 register (form), 200 "ok" expected. */
  async function httpRegister(via: ClusterMember, svc: string, ip: string, port: number, extra: Record<string, QueryValue> = {}): Promise<void> {
    const r = await via.request('POST', '/nacos/v1/ns/instance', {
      form: { serviceName: full(svc), ip, port, ephemeral: true, metadata: NO_EXPIRY, ...extra },
    });
    assert.equal(r.status, 200, `register ${ip}:${port} via ${via.name}: HTTP ${r.status} ${r.text}`);
    assert.equal(r.text, 'ok');
  }

  async function httpDeregister(via: ClusterMember, svc: string, ip: string, port: number): Promise<void> {
    const r = await via.request('DELETE', '/nacos/v1/ns/instance', { query: { serviceName: full(svc), ip, port, ephemeral: true } });
    assert.equal(r.status, 200, `deregister ${ip}:${port} via ${via.name}: HTTP ${r.status} ${r.text}`);
  }

  /**
   * Polls every given member in parallel (back to back, or every `intervalMs`) until `pred` holds
   * for the service's hosts there; resolves with each member's first-hit time (performance.now()).
   */
  async function untilOn(
    members: readonly ClusterMember[],
    svc: string,
    pred: (hosts: HttpHost[]) => boolean,
    timeoutMs: number,
    intervalMs = 0,
  ): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    return Promise.all(
      members.map(async (m) => {
        let last = 'no answer';
        for (;;) {
          try {
            const info = await m.listInstances(full(svc), {}, 2000);
            if (pred(info.hosts)) return performance.now();
            last = JSON.stringify(addrs(info.hosts));
          } catch (e) {
            last = e instanceof Error ? e.message : String(e);
          }
          if (Date.now() > deadline) throw new Error(`${m.name}: ${svc} not in the expected state within ${timeoutMs} ms; last seen ${last}`);
          await (intervalMs > 0 ? sleep(intervalMs) : new Promise<void>((r) => setImmediate(r)));
        }
      }),
    );
  }

  const has = (addr: string) => (hosts: HttpHost[]) => addrs(hosts).includes(addr);
  const lacks = (addr: string) => (hosts: HttpHost[]) => !addrs(hosts).includes(addr);
  const exactly = (want: readonly string[]) => {
    const w = JSON.stringify([...want].sort());
    return (hosts: HttpHost[]) => JSON.stringify(addrs(hosts)) === w;
  };

  /** A free `ip:port` (port from `start`) whose responsible member (all three healthy) is `owner` / is not `notOwner`. */
  function tagFor(ip: string, start: number, accept: (owner: string) => boolean): { ip: string; port: number; owner: string } {
    for (let port = start; port < start + 1000; port++) {
      const owner = responsibleFor(`${ip}:${port}`, cluster.addresses);
      if (accept(owner)) return { ip, port, owner };
    }
    throw new Error('no tag found');
  }

  const stateOf = (m: ClusterMember): Promise<DistroState> => m.distroState();

  const publishers = async (m: ClusterMember, svc: string): Promise<{ clientId: string; ip: string; port: number }[]> => {
    const r = await m.get('/nacos/v2/ns/client/service/publisher/list', { serviceName: svc, groupName: G });
    if (r.status !== 200) throw new Error(`${m.name} publisher/list: HTTP ${r.status} ${r.text}`);
    return (JSON.parse(r.text) as { data: { clientId: string; ip: string; port: number }[] }).data;
  };

  const clientIds = async (m: ClusterMember): Promise<string[]> => (JSON.parse((await m.get('/nacos/v2/ns/client/list')).text) as { data: string[] }).data;

  /**
   * Waits until the given members hold the same client ids and every client has exactly one
   * responsible member (sum of `responsible` = number of clients; responsible + replicas = clients
   * on each member). Returns the Distro states at that point.
   */
  async function settled(members: readonly ClusterMember[], timeoutMs = 10_000): Promise<DistroState[]> {
    return waitFor(
      'members agree on the client set, one responsible member per client',
      async () => {
        const [lists, states] = await Promise.all([Promise.all(members.map(clientIds)), Promise.all(members.map(stateOf))]);
        const ref = JSON.stringify(lists[0]);
        const n = lists[0]!.length;
        if (!lists.every((l) => JSON.stringify(l) === ref)) {
          const u = new Set(lists.flat());
          throw new Error(`client sets differ: ${[...u].filter((id) => !lists.every((l) => l.includes(id))).map((id) => `${id}@${lists.map((l) => (l.includes(id) ? 1 : 0)).join('')}`).join(' ')}`);
        }
        const counts = states.map((s) => [s.self, s.distro.responsible, s.distro.replicas]);
        if (!states.every((s) => s.distro.responsible + s.distro.replicas === n)) throw new Error(`counts ${JSON.stringify(counts)} vs ${n} clients`);
        if (states.reduce((k, s) => k + s.distro.responsible, 0) !== n) throw new Error(`responsible counts ${JSON.stringify(counts)} do not add up to ${n} clients`);
        return states;
      },
      timeoutMs,
      100,
    );
  }

  before(async () => {
    cluster = await TestCluster.start(3, { name: 'cluster', properties: PROPS });
    [A, B, C] = [cluster.member('A'), cluster.member('B'), cluster.member('C')] as [ClusterMember, ClusterMember, ClusterMember];
    // Everyone sees everyone UP before the scenarios start (the ring is the same on every member).
    await waitFor(
      'all members UP in every view',
      async () => {
        const states = await Promise.all(cluster.members.map(stateOf));
        return states.every((s) => s.healthy.length === 3 && s.loaded) ? true : undefined;
      },
      15_000,
    );
  });

  after(async () => {
    await Promise.allSettled([...rust.map((c) => c.kill()), ...node.map((h) => h.close())]);
    await cluster?.dispose();
  });

  it('1. convergence: Rust SDK (gRPC) on A and nacos-naming (HTTP v1) through B are visible on every member', async () => {
    const rA = await rustOn(A, 'conv-rA');
    const t0 = performance.now();
    await rA.register('it-cl-conv-rust', { ip: '127.0.10.1', port: 7001, metadata: { via: 'rust' } });
    const tReg = performance.now();
    const seen = await untilOn([A, B, C], 'it-cl-conv-rust', has('127.0.10.1:7001'), 10_000);
    figure(`rust gRPC register on A -> visible on A,B,C: ${ms(Math.max(...seen) - t0)} (SDK call ${ms(tReg - t0)})`);
    const onC = (await C.listInstances(full('it-cl-conv-rust'))).hosts[0];
    assert.deepEqual(onC?.metadata, { via: 'rust' });
    assert.equal(onC?.healthy, true);
    assert.equal(onC?.ephemeral, true);

    // nacos-naming through B, for an ip:port B is NOT responsible for: its register and its beats
    // are forwarded to the responsible member.
    const t = tagFor('127.0.10.2', 7100, (o) => o !== B.address);
    const n = await startNodeClient(B.port, 'cluster-conv-node');
    node.push(n);
    const t1 = performance.now();
    await n.client.registerInstance('it-cl-conv-node', inst({ ip: t.ip, port: t.port, metadata: { via: 'node' } }));
    const reg = n.requests.find((r) => r.method === 'POST' && r.path === '/nacos/v1/ns/instance');
    assert.equal(reg?.status, 200, 'the SDK register (through B, forwarded) answered 200');
    const seen2 = await untilOn([A, B, C], 'it-cl-conv-node', has(`${t.ip}:${t.port}`), 10_000);
    figure(`nacos-naming register via B (owner ${t.owner}) -> visible on A,B,C: ${ms(Math.max(...seen2) - t1)}`);
    const owner = cluster.byAddress(t.owner);
    const host = (await owner.listInstances(full('it-cl-conv-node'))).hosts[0];
    assert.deepEqual(host?.metadata, { via: 'node' });

    // Its beats go to B too: at least one beat is answered 200 (B forwards it to the owner).
    await waitFor(
      'a beat from nacos-naming answered 200',
      () => (n.requests.some((r) => r.path === '/nacos/v1/ns/instance/beat' && r.status === 200) ? true : undefined),
      15_000,
    );
  });

  it('1b. registration -> visible-everywhere latency (50 HTTP registrations to random members, 20 gRPC)', async () => {
    const all = [A, B, C];
    const http: { lat: number; post: number; forwarded: boolean }[] = [];
    for (let i = 0; i < 50; i++) {
      const via = all[Math.floor(Math.random() * 3)]!;
      const ip = '127.0.11.1';
      const port = 8000 + i;
      const owner = responsibleFor(`${ip}:${port}`, cluster.addresses);
      const t0 = performance.now();
      await httpRegister(via, 'it-cl-lat', ip, port);
      const tPost = performance.now();
      const seen = await untilOn(all, 'it-cl-lat', has(`${ip}:${port}`), 10_000);
      http.push({ lat: Math.max(...seen) - t0, post: tPost - t0, forwarded: owner !== via.address });
    }
    const lats = http.map((x) => x.lat);
    const fwd = http.filter((x) => x.forwarded).map((x) => x.lat);
    const direct = http.filter((x) => !x.forwarded).map((x) => x.lat);
    figure(
      `HTTP register -> visible on all 3 (n=${lats.length}): p50 ${percentile(lats, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(lats, 99).toFixed(1)} ms, max ${Math.max(...lats).toFixed(1)} ms; ` +
        `direct to owner (n=${direct.length}) p50 ${percentile(direct, 50).toFixed(1)} ms, forwarded (n=${fwd.length}) p50 ${percentile(fwd, 50).toFixed(1)} ms; ` +
        `POST alone p50 ${percentile(http.map((x) => x.post), 50).toFixed(1)} ms`,
    );
    const final = await Promise.all(all.map(async (m) => addrs((await m.listInstances(full('it-cl-lat'))).hosts)));
    assert.equal(final[0]?.length, 50);
    assert.deepEqual(final[1], final[0]);
    assert.deepEqual(final[2], final[0]);

    // gRPC: one connection on A registering into 20 services (one instance per service per connection).
    const rA = rust[0]!;
    const grpc: number[] = [];
    for (let i = 0; i < 20; i++) {
      const svc = `it-cl-lat-grpc-${i}`;
      const t0 = performance.now();
      await rA.register(svc, { ip: '127.0.12.1', port: 7200 + i });
      const seen = await untilOn(all, svc, has(`127.0.12.1:${7200 + i}`), 10_000);
      grpc.push(Math.max(...seen) - t0);
    }
    figure(`Rust gRPC register on A -> visible on all 3 (n=${grpc.length}): p50 ${percentile(grpc, 50).toFixed(1)} ms, p99 ${percentile(grpc, 99).toFixed(1)} ms`);
  });

  it('2. kill -9 of the Rust SDK child connected to A: its instances vanish from A, B and C', async () => {
    const rA = rust[0]!;
    // It publishes it-cl-conv-rust and the 20 latency services.
    await untilOn([A, B, C], 'it-cl-lat-grpc-19', has('127.0.12.1:7219'), 5000);
    const t0 = performance.now();
    await rA.kill();
    const gone = await untilOn([A, B, C], 'it-cl-conv-rust', lacks('127.0.10.1:7001'), 15_000, 5);
    figure(`kill -9 of a Rust client on A -> its instance gone on A ${ms(gone[0]! - t0)}, B ${ms(gone[1]! - t0)}, C ${ms(gone[2]! - t0)}`);
    for (let i = 0; i < 20; i++) await untilOn([A, B, C], `it-cl-lat-grpc-${i}`, (h) => h.length === 0, 5000, 20);
  });

  it('3. a Rust subscriber connected to C is pushed changes made by a Rust client on A', async () => {
    const svc = 'it-cl-push';
    const keeper = await rustOn(B, 'push-keeper');
    await keeper.register(svc, { ip: '127.0.13.1', port: 7301 });
    const sub = await rustOn(C, 'push-sub');
    const changer = await rustOn(A, 'push-changer');
    const pushed =
      (expected: string[], afterSeq = -1) =>
      (e: PushEvent): boolean =>
        e.subId === 'p' && e.seq > afterSeq && e.error === null && JSON.stringify(hostAddrs(e.hosts)) === JSON.stringify([...expected].sort());
    await untilOn([C], svc, has('127.0.13.1:7301'), 10_000);
    await sub.subscribe(svc, 'p');
    const first = await sub.waitForEvent(pushed(['127.0.13.1:7301']), 10_000, 'initial push');

    const t0 = performance.now();
    await changer.register(svc, { ip: '127.0.13.2', port: 7302 });
    const both = await sub.waitForEvent(pushed(['127.0.13.1:7301', '127.0.13.2:7302'], first.seq), 10_000, 'push of the instance registered on A');
    const t1 = performance.now();
    await changer.deregister(svc, { ip: '127.0.13.2', port: 7302 });
    await sub.waitForEvent(pushed(['127.0.13.1:7301'], both.seq), 10_000, 'push of the deregistration on A');
    const t2 = performance.now();
    figure(`register on A -> pushed to a subscriber on C: ${ms(t1 - t0)} (incl. SDK call); deregister on A -> pushed on C: ${ms(t2 - t1)}`);
    await Promise.all([changer.kill(), sub.kill()]);
  });

  it('4. HTTP writes and beats for an ip:port are forwarded to the responsible member; a peer request for a non-owned tag is 400', async () => {
    const svc = 'it-cl-fwd';
    const owned = tagFor('127.0.14.1', 7400, (o) => o === A.address);
    const [via] = [B, C].filter((m) => m.address !== owned.owner) as [ClusterMember];
    const addr = `${owned.ip}:${owned.port}`;
    // Let the previous test's kills settle (their DELETEs may still be in flight), then count.
    const before = await settled([A, B, C]);

    // Register through a non-responsible member.
    await httpRegister(via, svc, owned.ip, owned.port);
    await untilOn([A, B, C], svc, has(addr), 5000);
    // The owner (A) holds it as its own client; B and C hold replicas; nobody else wrote it locally.
    await waitFor(
      'the owner counts one more responsible client, the others one more replica',
      async () => {
        const now = await Promise.all([A, B, C].map(stateOf));
        const ok = now.every((s, i) => {
          const b = before[i]!;
          const isOwner = s.self === owned.owner;
          return s.distro.responsible === b.distro.responsible + (isOwner ? 1 : 0) && s.distro.replicas === b.distro.replicas + (isOwner ? 0 : 1);
        });
        if (!ok) throw new Error(`owner ${owned.owner}: ${JSON.stringify(now.map((s, i) => [s.self, before[i]!.distro.responsible, s.distro.responsible, before[i]!.distro.replicas, s.distro.replicas]))}`);
        return true;
      },
      5000,
    );
    const after1 = await Promise.all([A, B, C].map(stateOf));
    for (const [i, s] of after1.entries()) assert.equal(s.distro.counters.nonOwnerLocalChanges, before[i]!.distro.counters.nonOwnerLocalChanges, `${s.self}: no local write by a non-owner`);

    // A beat through the non-responsible member is answered by the owner (Nacos beat answer).
    const beat = await via.request('PUT', '/nacos/v1/ns/instance/beat', { query: { serviceName: full(svc), ip: owned.ip, port: owned.port } });
    assert.equal(beat.status, 200, beat.text);
    assert.equal((JSON.parse(beat.text) as { code: number }).code, 10200);
    // A light beat for an unknown instance: the owner answers 20404 (re-register), through the forward.
    const unknown = tagFor('127.0.14.2', 7400, (o) => o !== via.address);
    const light = await via.request('PUT', '/nacos/v1/ns/instance/beat', { query: { serviceName: full(svc), ip: unknown.ip, port: unknown.port } });
    assert.equal(light.status, 200, light.text);
    assert.equal((JSON.parse(light.text) as { code: number }).code, 20404);
    // A full beat (tag from the beat JSON only, no ip/port parameters) for an unknown instance is
    // forwarded and re-creates the instance on the owner (resurrection path) → visible everywhere.
    const beatJson = JSON.stringify({ serviceName: full(svc), ip: unknown.ip, port: unknown.port, cluster: 'DEFAULT', weight: 1, metadata: JSON.parse(NO_EXPIRY) as object });
    const res = await via.request('PUT', '/nacos/v1/ns/instance/beat', { query: { serviceName: full(svc), beat: beatJson } });
    assert.equal(res.status, 200, res.text);
    await untilOn([A, B, C], svc, has(`${unknown.ip}:${unknown.port}`), 5000);

    // Beats through a non-owner really renew the instance on the owner: with a 2 s beat timeout
    // it stays healthy everywhere while beats flow via the non-owner, and turns unhealthy once
    // they stop (the owner's beat check then flips it, and the flip is replicated).
    const hb = tagFor('127.0.14.3', 7400, (o) => o !== via.address);
    const hbAddr = `${hb.ip}:${hb.port}`;
    const hbMeta = JSON.stringify({ 'preserved.heart.beat.interval': '500', 'preserved.heart.beat.timeout': '2000', 'preserved.ip.delete.timeout': '600000' });
    await httpRegister(via, svc, hb.ip, hb.port, { metadata: hbMeta });
    await untilOn([A, B, C], svc, has(hbAddr), 5000);
    const healthyOf = async (m: ClusterMember) => (await m.listInstances(full(svc))).hosts.find((h) => `${h.ip}:${h.port}` === hbAddr)?.healthy;
    const beatUntil = Date.now() + 4000;
    while (Date.now() < beatUntil) {
      const r = await via.request('PUT', '/nacos/v1/ns/instance/beat', { query: { serviceName: full(svc), ip: hb.ip, port: hb.port } });
      assert.equal(r.status, 200, r.text);
      for (const m of [A, B, C]) assert.equal(await healthyOf(m), true, `${m.name}: healthy while beats flow through ${via.name}`);
      await sleep(500);
    }
    const stopped = performance.now();
    const unhealthy = await untilOn([A, B, C], svc, (h) => h.find((x) => `${x.ip}:${x.port}` === hbAddr)?.healthy === false, 10_000, 50);
    figure(`beats via a non-owner stopped -> unhealthy on all (2 s beat timeout, 500 ms check): ${ms(Math.max(...unhealthy) - stopped)}`);

    // Forwarded requests (User-Agent Nacos-Server) for a tag this member does not own: 400, no second hop.
    const stray = tagFor('127.0.14.4', 7400, (o) => o !== via.address);
    const peer = await via.request('POST', '/nacos/v1/ns/instance', {
      form: { serviceName: full(svc), ip: stray.ip, port: stray.port, ephemeral: true },
      headers: { 'User-Agent': 'Nacos-Server:x' },
    });
    assert.equal(peer.status, 400, peer.text);
    assert.match(peer.text, /receive invalid redirect request from peer/);
    const peerBeat = await via.request('PUT', '/nacos/v1/ns/instance/beat', {
      query: { serviceName: full(svc), ip: stray.ip, port: stray.port },
      headers: { 'User-Agent': 'Nacos-Server:x' },
    });
    assert.equal(peerBeat.status, 400, peerBeat.text);
    // ...while the same peer request sent to the responsible member is applied there.
    const ownerOfStray = cluster.byAddress(stray.owner);
    const direct = await ownerOfStray.request('POST', '/nacos/v1/ns/instance', {
      form: { serviceName: full(svc), ip: stray.ip, port: stray.port, ephemeral: true, metadata: NO_EXPIRY },
      headers: { 'User-Agent': 'Nacos-Server:x' },
    });
    assert.equal(direct.status, 200, direct.text);
    await untilOn([A, B, C], svc, has(`${stray.ip}:${stray.port}`), 5000);

    // Deregister through a non-owner: forwarded, gone everywhere.
    await httpDeregister(via, svc, owned.ip, owned.port);
    await untilOn([A, B, C], svc, lacks(addr), 5000);
  });

  it(
    '4b. GET /nacos/v1/ns/operator/distro/client names the responsible member, the same on every member',
    async () => {
      for (let port = 7500; port < 7506; port++) {
        const expected = responsibleFor(`127.0.15.1:${port}`, cluster.addresses);
        for (const m of [A, B, C]) {
          const r = await m.get('/nacos/v1/ns/operator/distro/client', { ip: '127.0.15.1', port });
          assert.equal(r.status, 200);
          assert.equal((JSON.parse(r.text) as { responsibleServer: string }).responsibleServer, expected, `${m.name} for 127.0.15.1:${port}`);
        }
      }
    },
  );

  it('6. a wiped member restarts with the full view: its first ready answer already lists everything, and no ghost remains', async () => {
    const N = 200;
    const SVCS = 4;
    const svcOf = (i: number) => `it-cl-wipe-${i % SVCS}`;
    const ip = '127.0.16.1';
    const portOf = (i: number) => 10_000 + i;
    const expected = new Map<string, Set<string>>();
    for (let s = 0; s < SVCS; s++) expected.set(`it-cl-wipe-${s}`, new Set());
    const vias = [A, B, C];
    // 200 registrations through all three members, 8 at a time.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < N) {
          const i = next++;
          await httpRegister(vias[i % 3]!, svcOf(i), ip, portOf(i));
          expected.get(svcOf(i))!.add(`${ip}:${portOf(i)}`);
        }
      }),
    );
    const expect = (s: string) => [...expected.get(s)!].sort();
    for (const s of expected.keys()) await untilOn([A, B, C], s, exactly(expect(s)), 10_000, 20);

    // A gRPC client on C: after C's crash its connection client lingers on A and B as a replica;
    // it must go (the restarted C's first verify removes leftovers of its previous life, or the
    // lease does), while the SDK's redo re-registers through the new C with a new connection.
    const rC = await rustOn(C, 'wipe-rC');
    await rC.register('it-cl-wipe-grpc', { ip: '127.0.16.2', port: 11_001 });
    await untilOn([A, B, C], 'it-cl-wipe-grpc', has('127.0.16.2:11001'), 10_000);
    const oldIds = (await publishers(A, 'it-cl-wipe-grpc')).map((p) => p.clientId);
    assert.equal(oldIds.length, 1);
    const oldId = oldIds[0]!;
    assert.ok(!oldId.includes('#'), `a connection client id: ${oldId}`);
    const survivors0 = await Promise.all([A, B].map(stateOf));

    await C.kill9();
    await C.wipe();
    // A and B see C DOWN, so ownership of C's ip:port clients moves to them.
    await waitFor(
      'A and B have C out of their healthy list',
      async () => ((await Promise.all([A, B].map(stateOf))).every((s) => !s.healthy.includes(C.address)) ? true : undefined),
      10_000,
      50,
    );
    // Changes while C is down: 20 deregistered (some were owned by C), 10 new ones.
    for (let i = 0; i < 20; i++) {
      await httpDeregister(vias[i % 2]!, svcOf(i), ip, portOf(i));
      expected.get(svcOf(i))!.delete(`${ip}:${portOf(i)}`);
    }
    for (let i = N; i < N + 10; i++) {
      await httpRegister(vias[i % 2]!, svcOf(i), ip, portOf(i));
      expected.get(svcOf(i))!.add(`${ip}:${portOf(i)}`);
    }
    for (const s of expected.keys()) await untilOn([A, B], s, exactly(expect(s)), 10_000, 20);
    const total = [...expected.values()].reduce((n, s) => n + s.size, 0);
    assert.equal(total, N - 20 + 10);

    // Restart C on an empty data dir. A reader hammers C's list meanwhile: any 200 must be complete.
    let stopReader = false;
    const partial: string[] = [];
    let readerOk = 0;
    let gated = 0;
    const reader = (async () => {
      while (!stopReader) {
        try {
          const r = await C.request('GET', '/nacos/v1/ns/instance/list', { query: { serviceName: full('it-cl-wipe-0') }, timeoutMs: 1000 });
          if (r.status === 503) gated++;
          if (r.status === 200) {
            readerOk++;
            const got = addrs((JSON.parse(r.text) as { hosts: HttpHost[] }).hosts);
            if (JSON.stringify(got) !== JSON.stringify(expect('it-cl-wipe-0'))) partial.push(`${got.length} hosts`);
          }
        } catch {
          // not listening yet
        }
        await sleep(5);
      }
    })();
    const { spawnedAt } = await C.restart({ wipe: true, waitReady: false });
    let readyAt = 0;
    const deadline = Date.now() + 30_000;
    while (readyAt === 0) {
      if ((await C.readiness(500)) === 200) readyAt = Date.now();
      else if (Date.now() > deadline) throw new Error('C not ready within 30 s');
      else if (!C.running) throw new Error(`C exited; see ${C.logFile}`);
      else await sleep(2);
    }
    // Immediately after the first 200: the whole view.
    const firstViews = await Promise.all([...expected.keys()].map(async (s) => [s, addrs((await C.listInstances(full(s))).hosts)] as const));
    stopReader = true;
    await reader;
    for (const [s, got] of firstViews) assert.deepEqual(got, expect(s), `C's first ready view of ${s}`);
    assert.deepEqual(partial, [], 'no partial list answered by C while it was loading');
    const cState = await stateOf(C);
    figure(
      `wiped member restart: spawn -> readiness 200 in ${readyAt - spawnedAt} ms; Distro load ${String(cState.distro.loadTimeMs)} ms; ` +
        `${cState.distro.counters.snapshotEntriesLoaded} snapshot entries; ${total} instances of this test all present on first ready; concurrent reader: ${gated} reads answered 503 while loading, ${readerOk} complete, ${partial.length} partial`,
    );

    // The Rust SDK reconnects to the new C and re-registers (redo) with a new connection.
    const tRedo = performance.now();
    await waitFor(
      'the Rust client re-registered through the new C',
      async () => {
        const p = await publishers(C, 'it-cl-wipe-grpc');
        return p.length === 1 && p[0]!.clientId !== oldId ? true : undefined;
      },
      40_000,
      100,
    );
    figure(`Rust SDK redo through the restarted C: ${ms(performance.now() - tRedo)} after C's first ready answer`);
    // No ghost: once A and B see C UP again and every member ran one more verify round, all agree exactly.
    await waitFor('C back in every healthy list', async () => ((await Promise.all([A, B, C].map(stateOf))).every((s) => s.healthy.length === 3) ? true : undefined), 10_000, 100);
    const rounds0 = await Promise.all([A, B, C].map(stateOf));
    await waitFor(
      'one more verify round on every member',
      async () => {
        const now = await Promise.all([A, B, C].map(stateOf));
        return now.every((s, i) => s.distro.counters.verifyRounds >= rounds0[i]!.distro.counters.verifyRounds + 2) ? true : undefined;
      },
      10_000,
      100,
    );
    for (const s of expected.keys()) {
      const views = await Promise.all([A, B, C].map(async (m) => (await m.listInstances(full(s))).hosts.map((h) => `${h.ip}:${h.port}:${String(h.healthy)}`).sort()));
      const want = expect(s).map((a) => `${a}:true`);
      for (const [i, v] of views.entries()) assert.deepEqual(v, want, `${['A', 'B', 'C'][i]!} view of ${s}`);
    }
    await settled([A, B, C], 5000);
    // The gRPC client: re-registered by its redo through the new C, its old connection client gone everywhere.
    const pubs = await Promise.all([A, B, C].map((m) => publishers(m, 'it-cl-wipe-grpc')));
    for (const [i, p] of pubs.entries()) {
      assert.equal(p.length, 1, `${['A', 'B', 'C'][i]!}: one publisher of it-cl-wipe-grpc: ${JSON.stringify(p)}`);
      assert.notEqual(p[0]!.clientId, oldId, 'the old connection client is gone');
      assert.equal(p[0]!.clientId, pubs[2]![0]!.clientId);
    }
    for (const m of [A, B, C]) assert.ok(!(await clientIds(m)).includes(oldId), `${m.name}: no client ${oldId}`);
    const survivors1 = await Promise.all([A, B].map(stateOf));
    figure(
      `wiped member's previous-life connection client on A/B removed by: asOf ` +
        `${survivors1.map((s, i) => s.distro.counters.removedByAsOf - survivors0[i]!.distro.counters.removedByAsOf).join('/')}, lease expiry ` +
        `${survivors1.map((s, i) => s.distro.counters.expiredReplicas - survivors0[i]!.distro.counters.expiredReplicas).join('/')} (A/B)`,
    );
    // And every service any member knows, compared across members.
    const names = new Set<string>();
    for (const m of [A, B, C]) {
      const r = await m.get('/nacos/v1/ns/service/list', { pageNo: 1, pageSize: 10_000 });
      for (const d of (JSON.parse(r.text) as { doms: string[] }).doms) names.add(d);
    }
    for (const name of names) {
      const views = await Promise.all(
        [A, B, C].map(async (m) => JSON.stringify((await m.listInstances(full(name))).hosts.map((h) => `${h.ip}:${h.port}:${String(h.healthy)}`).sort())),
      );
      assert.equal(views[1], views[0], `B and A agree on ${name}`);
      assert.equal(views[2], views[0], `C and A agree on ${name}`);
    }
  });

  it('5. a killed member\'s connection clients expire on the survivors (lease), its ip:port clients move', async () => {
    const r5 = await rustOn(A, 'orphan');
    await r5.register('it-cl-orphan', { ip: '127.0.17.1', port: 7701 });
    const owned = tagFor('127.0.17.2', 7700, (o) => o === A.address);
    await httpRegister(B, 'it-cl-orphan-http', owned.ip, owned.port);
    await untilOn([A, B, C], 'it-cl-orphan', has('127.0.17.1:7701'), 10_000);
    await untilOn([A, B, C], 'it-cl-orphan-http', has(`${owned.ip}:${owned.port}`), 10_000);

    const t0 = performance.now();
    await A.kill9(); // the Rust child stays, retrying A only
    const bound = EXPIRED_MS + VERIFY_MS + SWEEP_MS + 8000;
    const gone = await untilOn([B, C], 'it-cl-orphan', lacks('127.0.17.1:7701'), bound, 100);
    const [sB, sC] = await Promise.all([B, C].map(stateOf));
    figure(
      `member A kill -9 -> its Rust client's replica gone on B ${ms(gone[0]! - t0)}, C ${ms(gone[1]! - t0)} ` +
        `(lease ${EXPIRED_MS} ms, verify ${VERIFY_MS} ms, sweep ${SWEEP_MS} ms; within lease + one verify interval: ${gone.every((t) => t - t0 <= EXPIRED_MS + VERIFY_MS) ? 'yes' : 'NO'}; ` +
        `expiredReplicas B=${sB!.distro.counters.expiredReplicas} C=${sC!.distro.counters.expiredReplicas})`,
    );
    // The ip:port client A owned moved to B or C and is still there on both.
    for (const m of [B, C]) assert.ok(addrs((await m.listInstances(full('it-cl-orphan-http'))).hosts).includes(`${owned.ip}:${owned.port}`), `${m.name} keeps A's ip:port client`);
  });
});

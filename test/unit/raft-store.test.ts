/**
 * The Raft-backed PersistentStore end to end in one process: RaftHost loops over MemoryLogStore,
 * members linked by an in-process fake of the cluster transport (with loss), real timers with a
 * short tick. Checks write paths (leader, forwarded), convergence, failover, restart recovery,
 * snapshot catch-up, de-duplication and the no-leader error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { encodeCommand, KvStateMachine } from '../../src/persistence/kv-state-machine.js';
import type { StoreWrite } from '../../src/persistence/persistent-store.js';
import { NO_LEADER_MESSAGE, NotLeaderError, RaftStore, type RaftPeerLink } from '../../src/persistence/raft-store.js';
import { MemoryLogStore } from '../../src/raft/log-store.js';
import { UnavailableError } from '../../src/raft/storage.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultServiceMetadata } from '../../src/core/metadata.js';
import { checkConfigWrite } from '../../src/config-center/config-rows.js';
import { ConfigService } from '../../src/config-center/config-service.js';
import { ConfigState } from '../../src/config-center/config-state.js';
import { checkNamingWrite } from '../../src/naming/persistent-state.js';
import type { WriteCheck } from '../../src/persistence/persistent-store.js';
import { openRaftLog } from '../../src/persistence/raft-log.js';
import type { RaftLogStore } from '../../src/raft/log-store.js';
import type { Message } from '../../src/raft/types.js';

const log = createLogger(process.env.TEST_LOG ?? 'silent');
/** Real time with timers that keep the test process alive (systemClock's are unref'd). */
const clock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.timeOrigin + performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    return { cancel: () => clearInterval(t) };
  },
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

class FakeNet {
  readonly stores = new Map<string, RaftStore>();
  readonly down = new Set<string>();
  lossRate = 0;
  private seed = 7;
  private rand(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    return this.seed / 2147483648;
  }
  link(self: string): RaftPeerLink {
    return {
      send: (msgs: Message[]) => {
        for (const m of msgs) {
          if (this.down.has(self) || this.down.has(m.to) || this.rand() < this.lossRate) continue;
          const copy = JSON.parse(JSON.stringify(m)) as Message;
          setImmediate(() => {
            if (!this.down.has(m.to)) this.stores.get(m.to)?.raft?.receive([copy]);
          });
        }
      },
      forward: async (leader: string, command: string) => {
        const target = this.stores.get(leader);
        if (!target || this.down.has(leader)) throw new NotLeaderError('');
        // Like the cluster transport: an error on the leader reaches the follower as a status and a text.
        return target.proposeAsLeader(command).catch((e: unknown) => {
          if (e instanceof NotLeaderError) throw e;
          throw new NacosError(e instanceof NacosError ? e.status : 500, e instanceof Error ? e.message : String(e));
        });
      },
    };
  }
}

function makeStore(
  id: string,
  storage: RaftLogStore,
  opts: Partial<{ snapshotEntries: number; snapshotLogRatio: number; noLeaderWaitMs: number; catchUpTimeoutMs: number; check: WriteCheck; join: boolean }> = {},
): RaftStore {
  return new RaftStore({
    id,
    ...(opts.join ? { join: true } : {}),
    ...(opts.check ? { check: opts.check } : {}),
    openLog: () => Promise.resolve(storage),
    clock,
    log,
    tickMs: 5,
    electionTick: 10,
    heartbeatTick: 1,
    snapshotEntries: opts.snapshotEntries ?? 10_000,
    ...(opts.snapshotLogRatio !== undefined ? { snapshotLogRatio: opts.snapshotLogRatio } : {}),
    snapshotIntervalMs: 3_600_000,
    writeTimeoutMs: 5_000,
    forwardTimeoutMs: 2_000,
    noLeaderWaitMs: opts.noLeaderWaitMs ?? 2_000,
    catchUpTimeoutMs: opts.catchUpTimeoutMs ?? 5_000,
  });
}

const put = (key: string, value: unknown): StoreWrite[] => [{ table: 'instance', key, value }];
const rows = (s: RaftStore): Record<string, unknown> => Object.fromEntries([...s.entries()].map((e) => [`${e.table}/${e.key}`, e.value]));

/**
 * Opens every member, then starts them together (a member's start waits until it caught up with
 * the group, which needs a majority). `onStarted` runs the moment a member's start resolved.
 */
async function cluster(
  ids: string[],
  net: FakeNet,
  storages: Map<string, MemoryLogStore>,
  opts: Parameters<typeof makeStore>[2] = {},
  onStarted: (id: string, s: RaftStore) => void = () => undefined,
): Promise<void> {
  for (const id of ids) {
    const storage = storages.get(id) ?? new MemoryLogStore();
    storages.set(id, storage);
    const s = makeStore(id, storage, opts);
    await s.open();
    net.stores.set(id, s);
  }
  await Promise.all(
    ids.map(async (id) => {
      const s = net.stores.get(id)!;
      await s.startConsensus({ voters: [...ids].sort(), learners: [] }, net.link(id));
      onStarted(id, s);
    }),
  );
}

/**
 * What a kill -9 leaves on a member's disk: the log and the last hard state written. The commit
 * index is written lazily (with the next fsync, or within 1 s), so right after a write it lags:
 * `commitBefore` models that window by keeping the on-disk commit below that index.
 */
function crashImage(storage: MemoryLogStore, commitBefore: number): MemoryLogStore {
  const image = new MemoryLogStore();
  const { hardState: hs, confState } = storage.initialState();
  image.setInitialConf(confState);
  void image.persist({
    snapshot: storage.snapshot(),
    entries: storage.entries(storage.firstIndex(), storage.lastIndex() + 1),
    hardState: { ...hs, commit: Math.min(hs.commit, commitBefore - 1) },
  });
  return image;
}

function leaderOf(net: FakeNet): RaftStore | undefined {
  return [...net.stores.entries()].find(([id, s]) => !net.down.has(id) && s.raft?.node.role === 'leader')?.[1];
}

describe('RaftStore standalone (one voter)', () => {
  it('applies a write before resolving, notifies listeners, and recovers it from the log on reopen', async () => {
    const storage = new MemoryLogStore();
    const s = makeStore('standalone', storage);
    await s.open();
    const seen: StoreWrite[] = [];
    s.onApply((b) => seen.push(...b));
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    await s.write(put('a', { v: 1 }));
    assert.deepEqual(rows(s), { 'instance/a': { v: 1 } });
    assert.equal(seen.length, 1);
    await s.write(put('a', null));
    await s.write(put('b', { v: 2 }));
    await s.close();

    const again = makeStore('standalone', storage);
    await again.open();
    assert.deepEqual(rows(again), { 'instance/b': { v: 2 } });
    await again.startConsensus({ voters: ['standalone'], learners: [] }, null);
    await again.write(put('c', { v: 3 }));
    assert.deepEqual(rows(again), { 'instance/b': { v: 2 }, 'instance/c': { v: 3 } });
    assert.equal(again.stats().duplicates, 0);
    await again.close();
  });

  it('a crash image (no orderly close) restores every acknowledged write before serving', async () => {
    const storage = new MemoryLogStore();
    const s = makeStore('standalone', storage);
    await s.open();
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    for (let i = 0; i < 5; i++) await s.write(put(`k${i}`, i));
    // The crash image: what is on "disk" right now, without the flush an orderly close does.
    const image = new MemoryLogStore();
    await image.persist({ snapshot: storage.snapshot(), entries: storage.entries(storage.firstIndex(), storage.lastIndex() + 1), hardState: storage.initialState().hardState });
    await s.close();
    const again = makeStore('standalone', image);
    await again.open();
    await again.startConsensus({ voters: ['standalone'], learners: [] }, null);
    assert.deepEqual(rows(again), { 'instance/k0': 0, 'instance/k1': 1, 'instance/k2': 2, 'instance/k3': 3, 'instance/k4': 4 });
    await again.close();
  });

  it('applies a re-proposed command (same request id) only once', async () => {
    const s = makeStore('standalone', new MemoryLogStore());
    await s.open();
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    await until(() => s.raft?.node.role === 'leader', 'self-election');
    const cmd = encodeCommand({ id: 'req-1', batch: put('x', { n: 1 }) });
    await s.proposeAsLeader(cmd);
    await s.write(put('x', { n: 2 }));
    await s.proposeAsLeader(cmd); // a retry arriving late must not roll x back to n=1
    assert.deepEqual(rows(s), { 'instance/x': { n: 2 } });
    assert.equal(s.stats().duplicates, 1);
    await s.close();
  });

  it('a conditional write (onlyIfExists) applies only to an existing key and listeners see only what applied', async () => {
    const s = makeStore('standalone', new MemoryLogStore());
    await s.open();
    const seen: StoreWrite[][] = [];
    s.onApply((b) => seen.push([...b]));
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    await s.write([{ table: 'instance', key: 'gone', value: { healthy: false }, onlyIfExists: true }]);
    assert.deepEqual(rows(s), {}, 'a flip of a missing instance must not create it');
    assert.equal(seen.length, 0);
    await s.write(put('here', { healthy: true }));
    await s.write([
      { table: 'instance', key: 'here', value: { healthy: false }, onlyIfExists: true },
      { table: 'instance', key: 'gone', value: { healthy: false }, onlyIfExists: true },
    ]);
    assert.deepEqual(rows(s), { 'instance/here': { healthy: false } });
    assert.deepEqual(seen.at(-1)?.map((w) => w.key), ['here']);
    await s.close();
  });

  it('a field update (onlyFields) changes only those fields of the current value, through the log', async () => {
    const s = makeStore('standalone', new MemoryLogStore());
    await s.open();
    const seen: StoreWrite[][] = [];
    s.onApply((b) => seen.push([...b]));
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    await s.write([{ table: 'instance', key: 'gone', value: { healthy: false }, onlyFields: ['healthy'] }]);
    assert.deepEqual(rows(s), {}, 'a field update of a missing key creates nothing');
    await s.write(put('here', { healthy: true, v: 'new', weight: 3 }));
    await s.write([{ table: 'instance', key: 'here', value: { healthy: false, v: 'old', weight: 1 }, onlyIfExists: true, onlyFields: ['healthy'] }]);
    assert.deepEqual(rows(s), { 'instance/here': { healthy: false, v: 'new', weight: 3 } });
    assert.deepEqual(seen.at(-1), [{ table: 'instance', key: 'here', value: { healthy: false, v: 'new', weight: 3 } }], 'listeners see the merged value');
    await s.close();
  });

  it('an entry update (onlyEntries) sets only its keys of the map held at apply time; a malformed one is refused with 400', async () => {
    const s = makeStore('standalone', new MemoryLogStore());
    await s.open();
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    await s.write(put('svc', { v: 'new', clusters: { keep: 1 } }));
    // Two writers whose copies lag the log (no `a`, an old `v`) each update one entry.
    await s.write([{ table: 'instance', key: 'svc', value: { v: 'old', clusters: { a: 2 } }, onlyFields: ['clusters'], onlyEntries: { field: 'clusters', keys: ['a'] } }]);
    await s.write([{ table: 'instance', key: 'svc', value: { v: 'old', clusters: { keep: 1, b: 3 } }, onlyFields: ['clusters'], onlyEntries: { field: 'clusters', keys: ['b'] } }]);
    assert.deepEqual(rows(s), { 'instance/svc': { v: 'new', clusters: { keep: 1, a: 2, b: 3 } } });
    await assert.rejects(
      s.write([{ table: 'instance', key: 'svc', value: { clusters: {} }, onlyEntries: { field: 'clusters', keys: ['a'] } }]),
      (e: unknown) => e instanceof NacosError && e.status === 400 && /onlyEntries: field "clusters" must also be listed in onlyFields/.test(e.message),
    );
    assert.deepEqual(rows(s), { 'instance/svc': { v: 'new', clusters: { keep: 1, a: 2, b: 3 } } });
    await s.close();
  });

  it('rejects a malformed forwarded command with 400 and changes nothing', async () => {
    const s = makeStore('standalone', new MemoryLogStore());
    await s.open();
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    await until(() => s.raft?.node.role === 'leader', 'self-election');
    await assert.rejects(s.proposeAsLeader('{"id":"x","batch":[{"table":"nope","key":"k","value":1}]}'), (e: unknown) => e instanceof NacosError && e.status === 400);
    assert.deepEqual(rows(s), {});
    await s.close();
  });

  it('proposes a forwarded batch in one write; a refused command does not fail its batch mates', async () => {
    const s = makeStore('standalone', new MemoryLogStore());
    await s.open();
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    await until(() => s.raft?.node.role === 'leader', 'self-election');
    await s.raft!.idle();
    const before = { ...s.raft!.counters };
    const cmd = (key: string): string => encodeCommand({ id: key, batch: put(key, { v: key }) });
    const out = await s.proposeBatchAsLeader([cmd('a'), '{"id":"x","batch":[{"table":"nope","key":"k","value":1}]}', cmd('b'), cmd('c')]);
    assert.equal(out.length, 4);
    const [a, bad, b, c] = out;
    assert.ok(a?.ok && b?.ok && c?.ok);
    assert.deepEqual([b.index - a.index, c.index - b.index], [1, 1]);
    assert.ok(bad && !bad.ok && 'code' in bad && bad.code === 400);
    // The three valid commands were written by one fsync (one Ready), not one each.
    assert.equal(s.raft!.counters.syncs - before.syncs, 1);
    assert.equal(s.raft!.counters.syncedEntries - before.syncedEntries, 3);
    assert.deepEqual(rows(s), { 'instance/a': { v: 'a' }, 'instance/b': { v: 'b' }, 'instance/c': { v: 'c' } });
    await s.close();
  });
});

describe('RaftStore compaction', () => {
  // docs/raft.md "Compaction under load": the cost of a compaction grows with the state, so the
  // entry count alone would make it a growing cost per write; with a log ratio the entries written
  // since the last snapshot must also add up to that share of its image.
  async function snapshotIndexes(ratio: number | undefined): Promise<number[]> {
    const s = makeStore('standalone', new MemoryLogStore(), { snapshotEntries: 10, ...(ratio !== undefined ? { snapshotLogRatio: ratio } : {}) });
    await s.open();
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    const seen: number[] = [];
    for (let i = 0; i < 60; i++) {
      await s.write(put(`k${i}`, { v: i, pad: 'x'.repeat(40) }));
      await s.raft!.idle();
      await new Promise((r) => setImmediate(r));
      const at = s.status()!.snapshotIndex;
      if (at > 0 && seen.at(-1) !== at) seen.push(at);
    }
    await s.close();
    return seen;
  }

  it('by entry count alone, every 10 entries; with a log ratio, less often as the state grows', async () => {
    const byCount = await snapshotIndexes(undefined);
    assert.ok(byCount.length >= 5, `by count: compactions at ${byCount.join(', ')}`);
    for (let i = 1; i < byCount.length; i++) assert.ok(byCount[i]! - byCount[i - 1]! <= 12, `by count: ${byCount.join(', ')}`);
    const byRatio = await snapshotIndexes(1);
    assert.ok(byRatio.length >= 2, `by ratio: compactions at ${byRatio.join(', ')}`);
    // Each gap grows with the state held at the previous compaction (a log entry here is about
    // 1.5 times the row it leaves in the image, so at ratio 1 a gap is about 2/3 of the rows).
    for (let i = 1; i < byRatio.length; i++) assert.ok(byRatio[i]! - byRatio[i - 1]! >= byRatio[i - 1]! * 0.5, `by ratio: ${byRatio.join(', ')}`);
    assert.ok(byRatio.at(-1)! - byRatio.at(-2)! > byRatio[1]! - byRatio[0]!, `gaps grow: ${byRatio.join(', ')}`);
    assert.ok(byRatio.length < byCount.length);
  });
});

describe('RaftStore over a 3-member in-process cluster', () => {
  it('writes on any member (forwarded to the leader) converge everywhere, also with message loss', async () => {
    const net = new FakeNet();
    net.lossRate = 0.1;
    const ids = ['m1', 'm2', 'm3'];
    await cluster(ids, net, new Map());
    await until(() => leaderOf(net) !== undefined, 'a leader');
    for (let i = 0; i < 30; i++) {
      const via = net.stores.get(ids[i % 3]!)!;
      await via.write(put(`k${i}`, { i }));
      // read-your-writes on the member that took the write
      assert.deepEqual(rows(via)[`instance/k${i}`], { i });
    }
    await until(() => ids.every((id) => Object.keys(rows(net.stores.get(id)!)).length === 30), 'convergence');
    const want = rows(net.stores.get('m1')!);
    for (const id of ids) assert.deepEqual(rows(net.stores.get(id)!), want);
    for (const s of net.stores.values()) await s.close();
  });

  it('staggers the compactions: the members compact at different indexes, in the order of their rank among the voters (docs/raft.md "Compaction under load")', async () => {
    const net = new FakeNet();
    const ids = ['m1', 'm2', 'm3'];
    await cluster(ids, net, new Map(), { snapshotEntries: 40 });
    await until(() => leaderOf(net) !== undefined, 'a leader');
    const first = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      await net.stores.get(ids[i % 3]!)!.write(put(`s${i}`, i));
      await until(() => ids.every((id) => net.stores.get(id)!.status()!.appliedIndex >= leaderOf(net)!.status()!.appliedIndex), 'applied everywhere');
      for (const id of ids) {
        await net.stores.get(id)!.raft!.idle();
        const snap = net.stores.get(id)!.status()!.snapshotIndex;
        if (snap > 0 && !first.has(id)) first.set(id, snap);
      }
    }
    const at = ids.map((id) => first.get(id) ?? Infinity);
    assert.ok(at.every((x) => x !== Infinity), `every member compacted: ${JSON.stringify(at)}`);
    // 40 entries for the first voter, 50 for the second, 60 for the last (+0, +25 %, +50 %).
    assert.ok(at[0]! < at[1]! && at[1]! < at[2]!, `compaction indexes by rank: ${JSON.stringify(at)}`);
    assert.ok(at[2]! - at[0]! >= 15, `spread over a fraction of the interval: ${JSON.stringify(at)}`);
    for (const s of net.stores.values()) await s.close();
  });

  it('fails over when the leader crashes, keeps every acknowledged write, and a restarted member catches up via snapshot', async () => {
    const net = new FakeNet();
    const ids = ['m1', 'm2', 'm3'];
    const storages = new Map<string, MemoryLogStore>();
    await cluster(ids, net, storages, { snapshotEntries: 10 });
    await until(() => leaderOf(net) !== undefined, 'a leader');
    const acked = new Set<string>();
    for (let i = 0; i < 10; i++) {
      await net.stores.get('m1')!.write(put(`a${i}`, i));
      acked.add(`instance/a${i}`);
    }
    const old = [...net.stores.entries()].find(([, s]) => s === leaderOf(net))![0];
    net.down.add(old);
    await net.stores.get(old)!.raft!.stop();
    await until(() => leaderOf(net) !== undefined, 'a new leader');
    const survivor = ids.find((id) => id !== old)!;
    for (let i = 0; i < 40; i++) {
      await net.stores.get(survivor)!.write(put(`b${i}`, i));
      acked.add(`instance/b${i}`);
    }
    // The old leader restarts from its storage; the others have compacted past its log.
    const storage = storages.get(old)!;
    const restarted = makeStore(old, storage, { snapshotEntries: 10 });
    await restarted.open();
    net.stores.set(old, restarted);
    net.down.delete(old);
    await restarted.startConsensus({ voters: ids, learners: [] }, net.link(old));
    const leader = leaderOf(net)!;
    assert.ok(leader.status()!.snapshotIndex > 0, 'the leader compacted its log');
    await until(() => ids.every((id) => Object.keys(rows(net.stores.get(id)!)).length === acked.size), 'catch-up');
    for (const id of ids) {
      const r = rows(net.stores.get(id)!);
      for (const k of acked) assert.ok(k in r, `${id} lost acknowledged ${k}`);
      assert.equal(net.stores.get(id)!.stats().duplicates, 0);
    }
    for (const s of net.stores.values()) await s.close();
  });

  for (const join of [false, true]) {
    it(`a member restarted on an empty disk${join ? ' in join mode' : ''} catches up with no new write (docs/raft.md "Lost disks")`, async () => {
      const net = new FakeNet();
      const ids = ['m1', 'm2', 'm3'];
      const storages = new Map<string, MemoryLogStore>();
      await cluster(ids, net, storages);
      await until(() => leaderOf(net) !== undefined, 'a leader');
      for (let i = 0; i < 5; i++) await net.stores.get('m1')!.write(put(`a${i}`, i));
      const lost = ids.find((id) => net.stores.get(id) !== leaderOf(net))!;
      net.down.add(lost);
      await net.stores.get(lost)!.raft!.stop();
      const empty = new MemoryLogStore();
      const wiped = makeStore(lost, empty, { join });
      await wiped.open();
      net.stores.set(lost, wiped);
      net.down.delete(lost);
      // startConsensus resolves once the start barrier applied here: the member caught up.
      await wiped.startConsensus({ voters: ids, learners: [] }, net.link(lost));
      assert.equal(wiped.caughtUp, true);
      assert.deepEqual(Object.keys(rows(wiped)).sort(), [0, 1, 2, 3, 4].map((i) => `instance/a${i}`));
      // Join mode has no configuration of its own: it learns it from the log (each leader's
      // term-start entry records the configuration in force; docs/raft.md "Lost disks").
      assert.deepEqual(wiped.raft!.node.confState().voters, ids);
      assert.equal(leaderOf(net)!.raft!.node.lostLogResets, 1);
      for (const s of net.stores.values()) await s.close();
    });
  }

  it('answers 500 "did not find the Leader node" when no majority is up', async () => {
    const net = new FakeNet();
    const ids = ['m1', 'm2', 'm3'];
    await cluster(ids, net, new Map(), { noLeaderWaitMs: 200 });
    await net.stores.get('m1')!.write(put('k0', 0));
    for (const id of ['m2', 'm3']) {
      net.down.add(id);
      await net.stores.get(id)!.close();
    }
    const s = net.stores.get('m1')!;
    await until(() => s.raft?.node.role !== 'leader', 'the cut-off leader steps down');
    await assert.rejects(s.write(put('k', 1)), (e: unknown) => e instanceof NacosError && e.status === 500 && e.message === NO_LEADER_MESSAGE);
    assert.deepEqual(rows(s), { 'instance/k0': 0 });
    await s.close();
  });

  it('a full-cluster crash: no member finishes starting before it applied every acknowledged write (issue 11 defect 6)', async () => {
    const net = new FakeNet();
    const ids = ['m1', 'm2', 'm3'];
    const storages = new Map<string, MemoryLogStore>();
    await cluster(ids, net, storages);
    for (let i = 0; i < 12; i++) await net.stores.get(ids[i % 3]!)!.write(put(`k${i}`, i));
    await net.stores.get('m2')!.write([{ table: 'service', key: 'S', value: { protectThreshold: 0.4 } }]);
    await until(() => ids.every((id) => rows(net.stores.get(id)!)['service/S'] !== undefined), 'the last write applied everywhere');
    const lastIndex = Math.max(...ids.map((id) => storages.get(id)!.lastIndex()));
    // kill -9 of all three: their disks, with the commit index not yet written past the last write.
    const images = new Map(ids.map((id) => [id, crashImage(storages.get(id)!, lastIndex)]));
    for (const s of net.stores.values()) await s.close();

    const net2 = new FakeNet();
    const atStart = new Map<string, Record<string, unknown>>();
    await cluster(ids, net2, images, {}, (id, s) => atStart.set(id, rows(s)));
    for (const id of ids) {
      const r = atStart.get(id)!;
      assert.deepEqual(r['service/S'], { protectThreshold: 0.4 }, `${id} started without the acknowledged protectThreshold write`);
      for (let i = 0; i < 12; i++) assert.equal(r[`instance/k${i}`], i, `${id} lost k${i}`);
    }
    for (const s of net2.stores.values()) await s.close();
  });

  it('a member that cannot reach a majority at start finishes starting after the catch-up timeout and refuses writes until it caught up', async () => {
    const net = new FakeNet();
    net.down.add('m2');
    net.down.add('m3');
    const s = makeStore('m1', new MemoryLogStore(), { noLeaderWaitMs: 100, catchUpTimeoutMs: 300 });
    await s.open();
    net.stores.set('m1', s);
    await s.startConsensus({ voters: ['m1', 'm2', 'm3'], learners: [] }, net.link('m1'));
    // A write built from state that may be stale is never proposed: refused at once.
    await assert.rejects(s.write(put('k', 1)), (e: unknown) => e instanceof NacosError && e.status === 503);
    assert.equal(s.raft!.node.log.lastIndex(), 0, 'nothing was proposed');
    // The majority comes back: the member catches up in the background and then takes writes.
    for (const id of ['m2', 'm3']) {
      net.down.delete(id);
      const p = makeStore(id, new MemoryLogStore());
      await p.open();
      net.stores.set(id, p);
    }
    await Promise.all(['m2', 'm3'].map((id) => net.stores.get(id)!.startConsensus({ voters: ['m1', 'm2', 'm3'], learners: [] }, net.link(id))));
    await until(() => s.caughtUp, 'm1 caught up in the background');
    await s.write(put('k', 1));
    assert.deepEqual(rows(s), { 'instance/k': 1 });
    for (const x of net.stores.values()) await x.close();
  });
});

describe('RaftStore: a write the state machine will not apply (issue 11 defect 5)', () => {
  const svc = (protectThreshold: number) => ({ ...defaultServiceMetadata(false), protectThreshold, metadata: { owner: 'ops' } });
  const svcKey = 'public@@DEFAULT_GROUP@@S';
  const inst = { instanceId: 'i', ip: '127.0.0.1', port: 80, weight: 1, healthy: true, enabled: true, ephemeral: false, clusterName: 'DEFAULT', metadata: {} };

  it('is refused before it is proposed (NaN and Infinity do not survive the log), and nothing changes', async () => {
    const s = makeStore('standalone', new MemoryLogStore(), { check: checkNamingWrite });
    await s.open();
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    await s.write([{ table: 'service', key: svcKey, value: svc(0.4) }]);
    const last = s.raft!.node.log.lastIndex();
    for (const bad of [NaN, Infinity]) {
      await assert.rejects(s.write([{ table: 'service', key: svcKey, value: svc(bad) }]), (e: unknown) => e instanceof NacosError && e.status === 400);
    }
    const checker = { ...svc(0.4), clusters: { DEFAULT: { healthChecker: { type: 'HTTP', expectedResponseCode: Infinity }, checkPort: 80, useInstancePort4Check: true, metadata: {} } } };
    await assert.rejects(s.write([{ table: 'service', key: svcKey, value: checker }]), (e: unknown) => e instanceof NacosError && e.status === 400);
    // A batch with one bad write is refused whole.
    await assert.rejects(s.write([put(`${svcKey}##127.0.0.1:80`, inst)[0]!, { table: 'service', key: svcKey, value: svc(NaN) }]));
    assert.equal(s.raft!.node.log.lastIndex(), last, 'nothing was proposed');
    assert.deepEqual(rows(s), { [`service/${svcKey}`]: svc(0.4) });
    await s.close();
  });

  it('an unappliable entry in the log is skipped on replay without taking other data with it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nomen-crafted-log-'));
    try {
      // A log as an earlier version could have written it: the NaN protect threshold became null.
      const disk = await openRaftLog(dir, false, log);
      await disk.bootstrap({ voters: ['standalone'], learners: [] });
      const entry = (index: number, id: string, batch: StoreWrite[]) => ({ index, term: 1, type: 'normal' as const, data: encodeCommand({ id, batch }) });
      await disk.persist({
        entries: [
          entry(1, 'a', [{ table: 'service', key: svcKey, value: svc(0.4) }]),
          entry(2, 'b', [{ table: 'instance', key: `${svcKey}##127.0.0.1:80`, value: inst }]),
          entry(3, 'c', [
            { table: 'service', key: svcKey, value: { ...svc(0.4), protectThreshold: null } },
            { table: 'instance', key: `${svcKey}##127.0.0.1:80`, value: null },
          ]),
          { index: 4, term: 1, type: 'normal', data: '{not json' },
          entry(5, 'd', [{ table: 'switch', key: 'clientBeatInterval', value: 7000 }]),
        ],
        hardState: { term: 1, vote: 'standalone', commit: 5 },
      });
      await disk.close();

      const s = makeStore('standalone', await openRaftLog(dir, false, log), { check: checkNamingWrite });
      await s.open();
      assert.deepEqual(rows(s), {
        [`service/${svcKey}`]: svc(0.4),
        [`instance/${svcKey}##127.0.0.1:80`]: inst,
        'switch/clientBeatInterval': 7000,
      });
      assert.equal(s.stats().rejected, 2);
      assert.match(s.kv.rejection(3) ?? '', /protectThreshold/);
      // The member starts and takes writes after it.
      await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
      await s.write([{ table: 'service', key: svcKey, value: svc(0.5) }]);
      assert.deepEqual(rows(s)[`service/${svcKey}`], svc(0.5));
      await s.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an entry skipped at apply time answers its writer with an error, never success, and the next entries apply', async () => {
    // A leader of another version let the write through; every member here refuses it when applying.
    let applying = false;
    const check: WriteCheck = (w) => (applying && w.key === 'bad' ? 'refused when applied' : null);
    const s = makeStore('standalone', new MemoryLogStore(), { check });
    await s.open();
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    applying = true;
    const r = s.raft!.propose(encodeCommand({ id: 'x', batch: put('bad', 1) }));
    assert.ok(r.ok);
    await until(() => s.kv.rejection(r.index) !== undefined, 'the entry was applied (skipped)');
    applying = false;
    await s.write(put('good', 2));
    assert.deepEqual(rows(s), { 'instance/good': 2 });
    // A write that passed the check when proposed but is refused when applied: its writer gets an error.
    const pending = s.write(put('bad', 3));
    applying = true;
    await assert.rejects(pending, (e: unknown) => e instanceof NacosError && e.status === 500 && /not applied/.test(e.message));
    assert.deepEqual(rows(s), { 'instance/good': 2 });
    await s.close();
  });
});

describe('MemoryLogStore', () => {
  it('reports a failed write as a rejected promise, never a synchronous throw (like DurableRaftStorage)', async () => {
    // The host handles a compaction failure only as a rejection; a synchronous throw escaped its
    // loop and left it "compacting" for good.
    const s = new MemoryLogStore();
    let compact: Promise<void> | undefined;
    assert.doesNotThrow(() => {
      compact = s.compact(5, 'image', { voters: ['a'], learners: [] });
    });
    await assert.rejects(compact!, UnavailableError);
    await s.bootstrap({ voters: ['a'], learners: [] });
    let again: Promise<void> | undefined;
    assert.doesNotThrow(() => {
      again = s.bootstrap({ voters: ['a'], learners: [] });
    });
    await assert.rejects(again!, /bootstrap of a non-empty storage/);
  });
});

describe('config center on the Raft store', () => {
  const who = { srcUser: 'nacos', srcIp: '127.0.0.1' };
  const cfgKey = (i: number) => ({ tenant: 'public', group: 'DEFAULT_GROUP', dataId: `cfg-${i}` });

  /** A config center following `s` (as the server wires it). */
  function center(s: RaftStore): { service: ConfigService; changes: string[] } {
    const state = new ConfigState();
    state.load(s.entries());
    s.onApply((b) => state.apply(b));
    const service = new ConfigService({ store: s, state, clock, maxContent: 1000, maxGrayVersions: 10, maxConfigs: 1000 });
    const changes: string[] = [];
    service.onChange((c) => changes.push(c.dataId));
    return { service, changes };
  }

  it('a restarted member serves every config, gray variant and history row from its log', async () => {
    const storage = new MemoryLogStore();
    const s = makeStore('standalone', storage, { check: checkConfigWrite });
    await s.open();
    await s.startConsensus({ voters: ['standalone'], learners: [] }, null);
    const a = center(s).service;
    for (let i = 0; i < 5; i++) await a.publish({ ...cfgKey(i), content: `v${i}`, ...who });
    await a.publish({ ...cfgKey(0), content: 'v0-beta', betaIps: '127.0.0.7', ...who });
    await a.remove({ ...cfgKey(4), ...who });
    await s.close();

    const again = makeStore('standalone', storage, { check: checkConfigWrite });
    await again.open();
    const b = center(again).service;
    for (let i = 0; i < 4; i++) assert.equal(b.get(cfgKey(i))?.content, `v${i}`);
    assert.equal(b.get(cfgKey(4)), null);
    assert.equal(b.get(cfgKey(0), { clientIp: '127.0.0.7' })?.content, 'v0-beta');
    assert.deepEqual(
      b.historyPage(cfgKey(4), 1, 10).pageItems.map((h) => h.opType),
      ['D', 'I'],
    );
    await again.close();
  });

  it('publishes on every member reach every member (changes fire everywhere); a member restarted after compaction catches up by snapshot', async () => {
    const net = new FakeNet();
    const ids = ['m1', 'm2', 'm3'];
    const storages = new Map<string, MemoryLogStore>();
    await cluster(ids, net, storages, { snapshotEntries: 10, check: checkConfigWrite });
    await until(() => leaderOf(net) !== undefined, 'a leader');
    const centers = new Map(ids.map((id) => [id, center(net.stores.get(id)!)]));
    for (let i = 0; i < 12; i++) {
      const via = centers.get(ids[i % 3]!)!.service;
      await via.publish({ ...cfgKey(i), content: `v${i}`, ...who });
      assert.equal(via.get(cfgKey(i))?.content, `v${i}`, 'read-your-writes on the member that took it');
    }
    await until(() => ids.every((id) => centers.get(id)!.changes.length === 12), 'a change event on every member');
    const down = ids.find((id) => net.stores.get(id) !== leaderOf(net))!;
    net.down.add(down);
    await net.stores.get(down)!.raft!.stop();
    const up = ids.find((id) => id !== down)!;
    for (let i = 12; i < 40; i++) await centers.get(up)!.service.publish({ ...cfgKey(i), content: `v${i}`, ...who });
    const restarted = makeStore(down, storages.get(down)!, { snapshotEntries: 10, check: checkConfigWrite });
    await restarted.open();
    const late = center(restarted);
    net.stores.set(down, restarted);
    net.down.delete(down);
    await restarted.startConsensus({ voters: ids, learners: [] }, net.link(down));
    assert.ok(leaderOf(net)!.status()!.snapshotIndex > 0, 'the leader compacted its log');
    await until(() => late.service.size() === 40, 'the restarted member serves every config');
    for (let i = 0; i < 40; i++) assert.equal(late.service.get(cfgKey(i))?.content, `v${i}`);
    for (const s of net.stores.values()) await s.close();
  });

  it('CAS publishes racing through two followers: exactly one wins, the other gets 20005 (decided by its own apply)', async () => {
    const net = new FakeNet();
    const ids = ['m1', 'm2', 'm3'];
    await cluster(ids, net, new Map(), { check: checkConfigWrite });
    await until(() => leaderOf(net) !== undefined, 'a leader');
    // Both through followers: the losing batch is always a forwarded one.
    const [c1, c2] = ids.filter((id) => net.stores.get(id) !== leaderOf(net)).map((id) => center(net.stores.get(id)!).service);
    await c1!.publish({ ...cfgKey(0), content: 'v0', ...who });
    await until(() => c2!.get(cfgKey(0)) !== null, 'replication');
    const md5 = c1!.md5(cfgKey(0));
    const results = await Promise.allSettled([
      c1!.publish({ ...cfgKey(0), content: 'from-1', casMd5: md5, ...who }),
      c2!.publish({ ...cfgKey(0), content: 'from-2', casMd5: md5, ...who }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(failed.length, 1);
    assert.ok(failed[0]!.reason instanceof NacosError);
    assert.equal((failed[0]!.reason as NacosError).v2Code, 20005);
    const winner = results[0]!.status === 'fulfilled' ? 'from-1' : 'from-2';
    await until(() => c2!.get(cfgKey(0))?.content === winner && c1!.get(cfgKey(0))?.content === winner, 'both members hold the winner');
    for (const s of net.stores.values()) await s.close();
  });
});

describe('KvStateMachine batch conditions (StoreWrite.expect)', () => {
  const entry = (index: number, id: string, batch: StoreWrite[]) => ({ index, term: 1, type: 'normal' as const, data: encodeCommand({ id, batch }) });

  it('a batch whose condition fails applies nothing and is remembered as a rejection; a re-proposed copy is decided again', () => {
    const kv = new KvStateMachine();
    const seen: StoreWrite[][] = [];
    kv.onApply((b) => seen.push([...b]));
    kv.apply(entry(1, 'a', [{ table: 'config', key: 'k', value: { md5: 'm1' } }]));
    const cas: StoreWrite[] = [
      { table: 'config', key: 'k', value: { md5: 'm2' }, expect: { field: 'md5', equals: 'm0' } },
      { table: 'configHistory', key: '1', value: { x: 1 }, expect: { absent: true } },
    ];
    kv.apply(entry(2, 'b', cas));
    assert.match(kv.rejection(2) ?? '', /^condition failed: config "k": md5 is not "m0"/);
    assert.equal(seen.length, 1);
    assert.equal(kv.stats.conditionsFailed, 1);
    assert.deepEqual([...kv.entries()].map((e) => e.value), [{ md5: 'm1' }], 'the history row of the failed batch was not written');
    // The same command proposed again (a retried forward) once its condition holds: applied, not a duplicate.
    kv.apply(entry(3, 'c', [{ table: 'config', key: 'k', value: { md5: 'm0' } }]));
    kv.apply(entry(4, 'b', cas));
    assert.equal(kv.rejection(4), undefined);
    assert.equal(kv.stats.duplicates, 0);
    assert.deepEqual(
      [...kv.entries()].map((e) => e.value),
      [{ md5: 'm2' }, { x: 1 }],
    );
  });
});

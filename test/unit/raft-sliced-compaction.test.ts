/**
 * RaftHost compaction with a sliced snapshot image (RaftStateMachine.snapshotSliced, docs/raft.md
 * "Compaction under load"): the snapshot's index, image and configuration are those of the moment
 * the image was captured, although entries are applied while it is built; a stop or a failure
 * meanwhile compacts nothing and leaves the host able to compact again. A one-voter group on a
 * manual clock; the turns between slices are released by hand (the injected `yieldTurn`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { encodeCommand, KvStateMachine } from '../../src/persistence/kv-state-machine.js';
import { RaftHost, type RaftStateMachine } from '../../src/raft/host.js';
import { MemoryLogStore } from '../../src/raft/log-store.js';

const flush = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Turns held until released: what the state was when the first one was asked for (the capture). */
class Turns {
  waiting: (() => void)[] = [];
  calls = 0;
  atFirst: { applied: number; image: string } | null = null;
  constructor(private readonly capture: () => { applied: number; image: string }) {}
  readonly yieldTurn = (): Promise<void> => {
    // The first turn is asked for within the synchronous call that captured the state.
    if (this.calls++ === 0) this.atFirst = this.capture();
    return new Promise((r) => this.waiting.push(r));
  };
  async releaseAll(): Promise<void> {
    for (let i = 0; i < 100 && this.waiting.length > 0; i++) {
      for (const r of this.waiting.splice(0)) r();
      await flush(2);
    }
  }
}

function setup(sm: RaftStateMachine & { snapshot(): string }, snapshotEntries = 10) {
  const clock = new ManualClock();
  const storage = new MemoryLogStore();
  storage.setInitialConf({ voters: ['a'], learners: [] });
  const warnings: string[] = [];
  let host: RaftHost | null = null;
  const turns = new Turns(() => ({ applied: host!.status().appliedIndex, image: sm.snapshot() }));
  host = new RaftHost(
    {
      id: 'a',
      storage,
      clock,
      sm,
      send: () => undefined,
      log: { info: () => undefined, warn: (_o, m) => warnings.push(m), debug: () => undefined },
      tickMs: 100,
      electionTick: 10,
      heartbeatTick: 1,
      random: () => 0,
      snapshotEntries,
      snapshotIntervalMs: 3_600_000,
      yieldTurn: turns.yieldTurn,
    },
    0,
  );
  let n = 0;
  const write = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      n++;
      assert.ok(host!.propose(encodeCommand({ id: `w${n}`, batch: [{ table: 'instance', key: `k${n}`, value: { n, healthy: true } }] })).ok);
      await flush(2);
    }
  };
  return { host, storage, turns, warnings, write };
}

describe('RaftHost compaction with a sliced image', () => {
  it('writes the image, index and configuration of the capture, while later entries are applied', async () => {
    const sm = new KvStateMachine(1000);
    const t = setup(sm);
    t.host.start();
    await flush();
    await t.write(12);
    assert.ok(t.turns.atFirst, 'the compaction started (the image is being built)');
    const { applied, image } = t.turns.atFirst;
    assert.ok(applied >= 10);
    assert.equal(t.storage.snapshot().meta.index, 0, 'nothing written while the image is built');
    // Entries applied meanwhile: the state moves on, the image must not.
    await t.write(5);
    assert.ok(t.host.status().appliedIndex > applied);
    assert.notEqual(sm.snapshot(), image);
    await t.turns.releaseAll();
    await flush();
    const snap = t.storage.snapshot();
    assert.equal(snap.meta.index, applied);
    assert.equal(snap.data, image, 'byte for byte the image at the capture');
    assert.deepEqual(snap.meta.conf, { voters: ['a'], learners: [] });
    assert.equal(t.host.status().snapshotIndex, applied);
    assert.equal(t.storage.firstIndex(), applied + 1, 'the log below the capture is dropped, not past it');
    assert.deepEqual(t.warnings, []);
    await t.host.stop();
  });

  it('compacts nothing when the host stops while the image is built', async () => {
    const sm = new KvStateMachine(1000);
    const t = setup(sm);
    t.host.start();
    await flush();
    await t.write(12);
    assert.ok(t.turns.atFirst);
    await t.host.stop();
    await t.turns.releaseAll();
    await flush();
    assert.equal(t.storage.snapshot().meta.index, 0);
    assert.equal(t.host.status().snapshotIndex, 0);
    assert.deepEqual(t.warnings, [], 'an abandoned image is not a failure');
  });

  for (const how of ['rejects', 'throws within the call'] as const) {
    it(`after a failed image (the machine ${how}), compacts again at the next occasion`, async () => {
      const kv = new KvStateMachine(1000);
      let failures = 1;
      const sm: RaftStateMachine & { snapshot(): string } = {
        apply: (e) => kv.apply(e),
        snapshot: () => kv.snapshot(),
        restore: (d) => kv.restore(d),
        snapshotSliced: (yieldTurn) => {
          const image = kv.snapshotSliced(yieldTurn);
          if (failures-- <= 0) return image;
          if (how === 'throws within the call') {
            image.catch(() => undefined);
            throw new Error('out of memory (test)');
          }
          return image.then(() => Promise.reject(new Error('out of memory (test)')));
        },
      };
      await failedThenCompacts(kv, sm, how === 'rejects');
    });
  }

  async function failedThenCompacts(kv: KvStateMachine, sm: RaftStateMachine & { snapshot(): string }, failsLate: boolean): Promise<void> {
    const t = setup(sm);
    t.host.start();
    await flush();
    await t.write(12);
    await t.turns.releaseAll();
    await flush();
    assert.deepEqual(t.warnings, ['raft compaction failed: building the snapshot image']);
    if (failsLate) {
      // Failed once every turn was released: nothing written; the next Ready's end looks again.
      assert.equal(t.storage.snapshot().meta.index, 0);
      await t.write(1);
      await t.turns.releaseAll();
      await flush();
      assert.equal(t.storage.snapshot().meta.index, t.host.status().appliedIndex);
      assert.equal(t.storage.snapshot().data, kv.snapshot());
    } else {
      // Failed at once, at the first due Ready: the next one (the writes went on) compacted.
      assert.ok(t.storage.snapshot().meta.index > 0);
    }
    assert.equal(t.host.status().snapshotIndex, t.storage.snapshot().meta.index);
    await t.host.stop();
  }
});

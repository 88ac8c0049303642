/**
 * RaftHost.leaderChange (docs/raft.md "Write path and errors"): writes waiting for a leader wake
 * when the core reports a new role or leader, not at the next poll; the timeout stays on the
 * injected clock. A two-voter group on a manual clock, messages delivered by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { RaftHost, type RaftStateMachine } from '../../src/raft/host.js';
import { MemoryLogStore } from '../../src/raft/log-store.js';
import type { Message } from '../../src/raft/types.js';

const sm: RaftStateMachine = { apply: () => undefined, snapshot: () => '', restore: () => undefined };
const log = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function host(id: string, clock: ManualClock, outbox: Message[], rand = 0): RaftHost {
  const storage = new MemoryLogStore();
  storage.setInitialConf({ voters: ['a', 'b'], learners: [] });
  return new RaftHost(
    { id, storage, clock, sm, send: (m) => outbox.push(...m), log, tickMs: 100, electionTick: 10, heartbeatTick: 1, random: () => rand, snapshotEntries: 1000, snapshotIntervalMs: 3_600_000 },
    0,
  );
}

describe('RaftHost.leaderChange', () => {
  it('wakes when this member learns of a leader, without the clock moving further', async () => {
    const clock = new ManualClock();
    const outbox: Message[] = [];
    const a = host('a', clock, outbox);
    const b = host('b', clock, outbox, 0.99);
    a.start();
    b.start();
    let woke = false;
    void b.leaderChange(60_000).then(() => (woke = true));
    // a campaigns (pre-vote, vote) and b learns of it as leader from its first append.
    for (let i = 0; i < 40 && b.node.lead === ''; i++) {
      clock.advance(100);
      for (let j = 0; j < 5; j++) {
        await flush();
        for (const m of outbox.splice(0)) (m.to === 'a' ? a : b).receive([m]);
      }
    }
    assert.notEqual(b.node.lead, '');
    await flush();
    assert.equal(woke, true);
    await a.stop();
    await b.stop();
  });

  it('resolves after its timeout on the injected clock when nothing changes', async () => {
    const clock = new ManualClock();
    const b = host('b', clock, []);
    let woke = false;
    void b.leaderChange(250).then(() => (woke = true));
    clock.advance(249);
    await flush();
    assert.equal(woke, false);
    clock.advance(1);
    await flush();
    assert.equal(woke, true);
    await b.stop();
    // Stopped: still waits its timeout (a write looping on it must not spin).
    woke = false;
    void b.leaderChange(100).then(() => (woke = true));
    await flush();
    assert.equal(woke, false);
    clock.advance(100);
    await flush();
    assert.equal(woke, true);
  });
});

/**
 * KvStateMachine.snapshotSliced (docs/raft.md "Compaction under load"): the image built across
 * event-loop turns is, byte for byte, the one `snapshot()` gives at the call, although writes,
 * deletes, field and entry updates and a snapshot restore are applied between its slices.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommand, KvStateMachine, SNAPSHOT_SLICE_ROWS } from '../../src/persistence/kv-state-machine.js';
import type { StoreWrite } from '../../src/persistence/persistent-store.js';

const SVC = 'public@@DEFAULT_GROUP@@orders';
const instKey = (i: number): string => `${SVC}##10.0.${i >> 8}.${i & 255}:8080`;
const inst = (i: number, healthy = true): Record<string, unknown> => ({
  instanceId: `10.0.${i >> 8}.${i & 255}#8080#DEFAULT#DEFAULT_GROUP@@orders`,
  ip: `10.0.${i >> 8}.${i & 255}`,
  port: 8080,
  weight: 1,
  healthy,
  enabled: true,
  ephemeral: false,
  clusterName: 'DEFAULT',
  metadata: { zone: `z${i % 3}` },
});
const cl = (port: number) => ({ healthChecker: { type: 'NONE' }, checkPort: port, useInstancePort4Check: false, metadata: {} });
const record = (clusters: Record<string, unknown>) => ({ ephemeral: false, protectThreshold: 0, selector: { type: 'none' }, metadata: { v: '1' }, clusters });

function machine(): { sm: KvStateMachine; apply(batch: StoreWrite[]): void } {
  const sm = new KvStateMachine(1000, (e) => assert.fail(`rejected: ${e}`));
  let index = 0;
  const apply = (batch: StoreWrite[]): void => {
    index++;
    sm.applyData(index, encodeCommand({ id: `r${index}`, batch }));
  };
  return { sm, apply };
}

/** n instance rows, then (last in the map's order, so in the last slice) the service record with two clusters. */
function filled(n: number): ReturnType<typeof machine> {
  const m = machine();
  for (let i = 0; i < n; i += 100) {
    const batch: StoreWrite[] = [];
    for (let j = i; j < Math.min(n, i + 100); j++) batch.push({ table: 'instance', key: instKey(j), value: inst(j) });
    m.apply(batch);
  }
  m.apply([{ table: 'service', key: SVC, value: record({ a: cl(81), b: cl(82) }) }]);
  return m;
}

describe('KvStateMachine.snapshotSliced', () => {
  it('gives the image snapshot() gave at the call while writes, deletes, field and entry updates and a restore are applied between slices', async () => {
    const n = 6 * SNAPSHOT_SLICE_ROWS + 17;
    const m = filled(n);
    const other = filled(5).sm.snapshot();
    const expected = m.sm.snapshot();
    const last = n - 1;
    // One change per turn, each on rows of a slice not yet serialized (the map keeps insertion
    // order: the first slice holds rows 0…2047, the service record is in the last).
    const changes: (() => void)[] = [
      // a field update (a health flip) and an entry update of rows still to be serialized
      () => m.apply([{ table: 'instance', key: instKey(last), value: inst(last, false), onlyIfExists: true, onlyFields: ['healthy'] }]),
      () => m.apply([{ table: 'service', key: SVC, value: record({ a: cl(91), c: cl(93) }), onlyFields: ['clusters'], onlyEntries: { field: 'clusters', keys: ['a', 'b', 'c'] } }]),
      // a plain put over a row, a delete and a new row
      () => m.apply([{ table: 'instance', key: instKey(last - 1), value: { ...inst(last - 1), weight: 5 } }]),
      () => m.apply([{ table: 'instance', key: instKey(last - 2), value: null }, { table: 'instance', key: instKey(n + 1), value: inst(n + 1) }]),
      // a snapshot install replaces everything
      () => m.sm.restore(other),
      () => m.apply([{ table: 'instance', key: instKey(1), value: inst(1, false), onlyIfExists: true, onlyFields: ['healthy'] }]),
    ];
    let turns = 0;
    const image = await m.sm.snapshotSliced(async () => {
      changes[turns++]?.();
      await new Promise((r) => setImmediate(r));
    });
    assert.ok(turns > changes.length, `every change fell between two slices (${turns} turns)`);
    assert.equal(image.join(''), expected);
    assert.notEqual(m.sm.snapshot(), expected, 'the state did change meanwhile');
  });

  it('gives snapshot()’s image for an empty state (no turn) and for a state of ids only', async () => {
    const m = machine();
    let turns = 0;
    const turn = async (): Promise<void> => void turns++;
    assert.equal((await m.sm.snapshotSliced(turn)).join(''), m.sm.snapshot());
    assert.equal(turns, 0);
    m.apply([{ table: 'instance', key: instKey(1), value: inst(1) }]);
    m.apply([{ table: 'instance', key: instKey(1), value: null }]);
    assert.equal((await m.sm.snapshotSliced(turn)).join(''), m.sm.snapshot());
  });

  it('bounds a slice by characters as well as rows (large values)', async () => {
    const m = machine();
    const big = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 8; i++) m.apply([{ table: 'config', key: `c${i}`, value: { content: big, md5: String(i) } }]);
    let turns = 0;
    const image = await m.sm.snapshotSliced(async () => void turns++);
    assert.equal(image.join(''), m.sm.snapshot());
    // 8 rows of ~200 Ki characters: 3 rows reach 512 Ki, so 3 slices and the final turn.
    assert.equal(turns, 3);
  });

  it('returns slices that end at row boundaries (never inside a surrogate pair)', async () => {
    const m = machine();
    const emoji = '😀'.repeat(150 * 1024);
    for (let i = 0; i < 6; i++) m.apply([{ table: 'config', key: `c${i}😀`, value: { content: emoji, md5: '😀' } }]);
    const slices = await m.sm.snapshotSliced(async () => undefined);
    assert.ok(slices.length > 3, `${slices.length} slices`);
    assert.equal(slices.join(''), m.sm.snapshot());
    for (const s of slices.slice(0, -1)) {
      const last = s.charCodeAt(s.length - 1);
      assert.ok(!(last >= 0xd800 && last <= 0xdbff), 'a slice ends with a high surrogate');
    }
  });

  it('stops when the turn function rejects', async () => {
    const m = filled(SNAPSHOT_SLICE_ROWS + 1);
    await assert.rejects(
      m.sm.snapshotSliced(async () => {
        throw new Error('stopped');
      }),
      /stopped/,
    );
  });
});
